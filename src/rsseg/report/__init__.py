"""Figures and pages for people to look at: maps, quick-looks, charts and the study page."""
