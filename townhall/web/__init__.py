"""Reader-facing routes outside the widget and the REST API: e-mail links and Atom feeds."""
