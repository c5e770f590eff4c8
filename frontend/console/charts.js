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
