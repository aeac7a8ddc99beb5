"""The web pages: one blueprint per area, and the forms, security and error pages they share.

Views parse the request, call the services of the packages before this one, and render a
template from `templates/`; they hold no business rules.
"""
