"""Figures for people to look at: maps, quick-looks and charts."""
