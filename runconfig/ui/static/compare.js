// The compare page: each metric's histories of the runs, overlaid.
import { drawCharts } from "./chart.js";
import { pageData } from "./common.js";

const data = pageData("run-data");
if (data) drawCharts(data.charts.metrics);
