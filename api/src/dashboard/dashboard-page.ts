/** The dashboard's HTML shell; the charts are drawn by `dashboard.js` from `/dashboard/data`. */
export function dashboardPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Triggers API – live dashboard</title>
<link rel="stylesheet" href="/dashboard/assets/uplot.css">
<style>
  body { font-family: system-ui, sans-serif; margin: 16px 24px; color: #1f2328; background: #fff; }
  header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  h2 { font-size: 15px; margin: 20px 0 4px; color: #57606a; font-weight: 600; }
  #status { font-size: 13px; color: #57606a; }
  #status[data-state="error"] { color: #cf222e; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 12px 20px; }
  .note { font-size: 13px; color: #57606a; margin: 4px 0 0; }
  .chart { min-width: 0; position: relative; }
  /* An endpoint without traffic has nothing to plot; say so rather than show a bare frame. */
  .chart[data-empty]::after {
    content: 'no requests in the window yet'; position: absolute; top: 110px; left: 0; right: 0;
    text-align: center; font-size: 13px; color: #57606a; pointer-events: none;
  }
  .uplot .u-title { font-size: 14px; font-weight: 600; }
  .uplot .u-legend { font-size: 12px; }
</style>
</head>
<body>
<header>
  <h1>Triggers API – live dashboard</h1>
  <span id="status" data-state="waiting">waiting for data…</span>
</header>
<p class="note">
  Recent-window figures, polled every second. Dashed red lines are the SLO targets.
</p>
<h2>Traffic and reliability</h2>
<div id="summary-charts" class="grid"></div>
<h2>Latency per endpoint</h2>
<div id="latency-charts" class="grid"></div>
<script src="/dashboard/assets/uplot.js"></script>
<script src="/dashboard/assets/dashboard.js"></script>
</body>
</html>
`;
}
