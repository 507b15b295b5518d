"""Owner insights: the turn log the engine writes, and the report and dashboard computed from it."""
