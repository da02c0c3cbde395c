"""Results into tables, statistics, charts, the HTML page, and publishing."""
