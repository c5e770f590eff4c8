// ECharts for the staff pages: the dispatch board's map draws projects and technicians on their plain
// coordinates (longitude, latitude), with no online tile service.
import * as echarts from "echarts/core";
import { ScatterChart } from "echarts/charts";
import { GridComponent, TooltipComponent, LegendComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([ScatterChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer]);

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
