"""Writes. Each important model changes only through these functions (`<entity>_<action>`)."""
