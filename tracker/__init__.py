"""Care Pathway Tracker: procedure documents become timed patient checklists."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported in create_app: `tracker preview` reads documents without Flask
    from flask import Flask

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent


def _site_folder(name: str) -> str:
    """templates/ or static/: a built wheel carries them inside the package (setup.py copies
    them there); a checkout, editable install included, keeps them at its top level."""
    packaged = PACKAGE_DIR / name
    return str(packaged if packaged.is_dir() else PROJECT_ROOT / name)


def _instance_path() -> str | None:
    """A checkout keeps instance/ beside the code; an installed package takes Flask's default
    (<prefix>/var/tracker-instance) rather than writing into site-packages."""
    if "TRACKER_INSTANCE_PATH" in os.environ:
        return os.environ["TRACKER_INSTANCE_PATH"]
    checkout = (PROJECT_ROOT / "pyproject.toml").is_file()
    return str(PROJECT_ROOT / "instance") if checkout else None


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The application: configuration, extensions and blueprints."""
    from flask import Flask

    app = Flask(
        __name__,
        instance_path=_instance_path(),
        template_folder=_site_folder("templates"),
        static_folder=_site_folder("static"),
    )
    from tracker import api, auth, config, db, fhir, i18n, localtime
    from tracker.reminders import scheduler
    from tracker.web import (
        admin,
        assets,
        health,
        hooks,
        library,
        nurse,
        pathway_settings,
        patient,
        patient_check_in,
        patient_language,
        patient_links,
        publishing,
        security,
        step_labels,
        translating,
    )
    from tracker.web import auth as auth_views
    from tracker.web import error_pages as errors

    # "/fhir/PlanDefinition//0" is not found rather than redirected: an API client expects its
    # own error format (problem+json, OperationOutcome), never a browser redirect page.
    app.url_map.merge_slashes = False
    config.load(app, test_config)
    db.init_app(app)
    i18n.init_app(app)
    step_labels.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    assets.init_app(app)
    app.jinja_env.globals["zone_names"] = localtime.zone_names  # the zone pickers' list
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(library.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(publishing.bp)
    app.register_blueprint(pathway_settings.bp)
    app.register_blueprint(translating.bp)
    app.register_blueprint(nurse.bp)
    app.register_blueprint(patient.bp)
    app.register_blueprint(patient_check_in.bp)
    app.register_blueprint(patient_language.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(patient_links.bp)
    api.init_app(app)  # the JSON API: bearer tokens, so no CSRF (no cookies are read)
    security.csrf.exempt(api.bp)
    app.register_blueprint(hooks.bp)  # the SMS gateway signs its posts: HMAC, not CSRF
    security.csrf.exempt(hooks.bp)
    fhir.init_app(app)  # the FHIR R4 export: read-only, the API's bearer tokens
    security.csrf.exempt(fhir.bp)
    scheduler.init_app(app)
    return app
