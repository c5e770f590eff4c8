"""The console's writes: none of its own. Every form calls the work-order services
(``backend.workorders.services``), so a view, the API and a sync push share one write path."""
