// ECharts for the staff pages: the dispatch board's map draws projects and technicians on their plain
// coordinates (longitude, latitude), with no online tile service.
import * as echarts from "echarts/core";
import { ScatterChart, FunnelChart, BarChart } from "echarts/charts";
import { GridComponent, TooltipComponent, LegendComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([ScatterChart, FunnelChart, BarChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer]);

window.anxinMap = function anxinMap(el, data, labels) {
  const chart = echarts.init(el);
  chart.setOption({
    animation: false,
    tooltip: { formatter: (p) => p.data.name },
    legend: { data: [labels.projects, labels.technicians], bottom: 0 },
    grid: { left: 50, right: 20, top: 20, bottom: 50 },
    xAxis: { type: "value", scale: true, name: "lon" },
    yAxis: { type: "value", scale: true, name: "lat" },
    series: [
      { name: labels.projects, type: "scatter", symbol: "rect", symbolSize: 16, data: data.projects, label: { show: true, formatter: (p) => p.data.name, position: "right" } },
      { name: labels.technicians, type: "scatter", symbolSize: 10, data: data.technicians },
    ],
  });
  window.addEventListener("resize", () => chart.resize());
  return chart;
};

// The CRM dashboard: the funnel (customers who reached each stage) and the weighted forecast per month.

window.anxinFunnel = function anxinFunnel(funnelEl, forecastEl, data) {
  const funnel = echarts.init(funnelEl);
  funnel.setOption({
    animation: false,
    tooltip: { trigger: "item" },
    series: [{ type: "funnel", sort: "none", left: "10%", width: "80%", label: { show: true, position: "inside", formatter: "{b}: {c}" },
      data: data.stages.map((name, i) => ({ name, value: data.reached[i] })) }],
  });
  const forecast = echarts.init(forecastEl);
  forecast.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    grid: { left: 80, right: 20, top: 20, bottom: 30 },
    xAxis: { type: "category", data: data.months },
    yAxis: { type: "value" },
    series: [{ type: "bar", data: data.forecast_yuan, itemStyle: { color: "#0a7c66" } }],
  });
  window.addEventListener("resize", () => { funnel.resize(); forecast.resize(); });
  return { funnel, forecast };
};
