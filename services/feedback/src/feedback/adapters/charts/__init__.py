"""Chart-ready series from a program's insights, and charts rendered from them (SVG, PNG)."""
