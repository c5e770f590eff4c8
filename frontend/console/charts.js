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
  el._chart = chart;
  el._data = data;
  return chart;
};

// A technician's new position (a live "technician.moved" message): their point moves, nothing else.
window.anxinMoveTechnician = function anxinMoveTechnician(msg) {
  const el = document.getElementById("map");
  if (!el || !el._chart) return;
  const technicians = el._data.technicians.filter((t) => t.id !== msg.technician_id);
  technicians.push({ name: msg.name, id: msg.technician_id, value: msg.value });
  el._data = { ...el._data, technicians };
  el._chart.setOption({ series: [{}, { data: technicians }] });
  el.dataset.moved = String(Number(el.dataset.moved || 0) + 1);
};

// --- analytics (backend/analytics): bar, Pareto, heatmap and line charts. Every clickable mark opens
// the drill-down list behind it; the toolbox saves any chart as PNG (rendered locally, no network).
import { HeatmapChart, LineChart } from "echarts/charts";
import { ToolboxComponent, VisualMapComponent, MarkLineComponent } from "echarts/components";

echarts.use([HeatmapChart, LineChart, ToolboxComponent, VisualMapComponent, MarkLineComponent]);

const toolbox = (name) => ({ right: 10, feature: { saveAsImage: { name, pixelRatio: 2, title: "PNG" } } });

function mount(el, option, onClick) {
  const chart = echarts.init(el);
  chart.setOption({ animation: false, toolbox: toolbox(el.dataset.name || "anxin-chart"), ...option });
  if (onClick) chart.on("click", onClick);
  window.addEventListener("resize", () => chart.resize());
  el.anxinChart = chart;
  return chart;
}

// Horizontal bars (a ranking): items [{name, value, href}]
window.anxinBars = function anxinBars(el, items, labels) {
  return mount(el, {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    grid: { left: 140, right: 40, top: 30, bottom: 30 },
    xAxis: { type: "value", name: labels.value },
    yAxis: { type: "category", data: items.map((i) => i.name).reverse(), axisLabel: { width: 130, overflow: "truncate" } },
    series: [{ type: "bar", data: items.map((i) => ({ value: i.value, href: i.href })).reverse(), itemStyle: { color: "#c0392b" },
               label: { show: true, position: "right" } }],
  }, (p) => p.data && p.data.href && (window.location.href = p.data.href));
};

// Pareto: bars (orders) with the cumulative share as a line on a second axis: bars [{name, orders, cumulative, href}]
window.anxinPareto = function anxinPareto(el, bars, labels) {
  return mount(el, {
    tooltip: { trigger: "axis" },
    legend: { data: [labels.orders, labels.cumulative], bottom: 0 },
    grid: { left: 50, right: 50, top: 40, bottom: 70 },
    xAxis: { type: "category", data: bars.map((b) => b.name), axisLabel: { interval: 0, rotate: 20 } },
    yAxis: [{ type: "value", name: labels.orders }, { type: "value", name: "%", max: 100 }],
    series: [
      { name: labels.orders, type: "bar", data: bars.map((b) => ({ value: b.orders, href: b.href })), itemStyle: { color: "#2f6fdf" } },
      { name: labels.cumulative, type: "line", yAxisIndex: 1, data: bars.map((b) => b.cumulative),
        markLine: { silent: true, symbol: "none", data: [{ yAxis: 80 }], lineStyle: { type: "dashed" } } },
    ],
  }, (p) => p.seriesType === "bar" && p.data.href && (window.location.href = p.data.href));
};

// Building elevation: floors as rows (top floor first), positions as columns.
// data: {floors, positions, cells: [[x, y, orders, number, unitId, categories]], max}; hrefFor(unitId) -> url
window.anxinHeatmap = function anxinHeatmap(el, data, labels, hrefFor) {
  return mount(el, {
    tooltip: {
      formatter: (p) => {
        const [, , orders, number, , cats] = p.data;
        return `<b>${number}</b> · ${labels.orders}: ${orders}` + (cats.length ? "<br>" + cats.join("<br>") : "");
      },
    },
    grid: { left: 60, right: 80, top: 30, bottom: 40 },
    xAxis: { type: "category", data: data.positions, name: labels.position, splitArea: { show: true } },
    yAxis: { type: "category", data: data.floors, name: labels.floor, inverse: true, splitArea: { show: true } },
    visualMap: { min: 0, max: Math.max(1, data.max), calculable: true, dimension: 2, orient: "vertical", right: 0, top: "middle",
                 inRange: { color: ["#f7f7f7", "#fdd49e", "#fc8d59", "#d7301f", "#7f0000"] } },
    series: [{ type: "heatmap", data: data.cells, label: { show: true, formatter: (p) => (p.data[2] ? p.data[2] : "") },
               itemStyle: { borderColor: "#fff", borderWidth: 1 } }],
  }, (p) => p.data && p.data[4] && (window.location.href = hrefFor(p.data[4])));
};

// Lines over months: series [{name, data}], x labels; optional onClick(index)
window.anxinLines = function anxinLines(el, x, series, labels, onClick) {
  return mount(el, {
    tooltip: { trigger: "axis" },
    legend: { data: series.map((s) => s.name), bottom: 0 },
    grid: { left: 50, right: 30, top: 30, bottom: 50 },
    xAxis: { type: "category", data: x, name: labels.x || "" },
    yAxis: { type: "value", name: labels.y || "", max: labels.max },
    series: series.map((s) => ({ name: s.name, type: "line", data: s.data, connectNulls: true, smooth: false })),
  }, onClick ? (p) => onClick(p.dataIndex) : null);
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
