"""Blueprints: each module parses requests, calls services and renders templates."""
