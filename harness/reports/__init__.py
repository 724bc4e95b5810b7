"""Reports: per-scenario artefacts, the run summary (JSON, HTML, Markdown), Allure data."""
