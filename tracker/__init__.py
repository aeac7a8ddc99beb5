"""Care Pathway Tracker: procedure documents become timed patient checklists."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The application: configuration, extensions and blueprints."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("TRACKER_INSTANCE_PATH", str(PROJECT_ROOT / "instance")),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    from tracker import auth, config, db
    from tracker.reminders import scheduler
    from tracker.web import admin, assets, health, library, nurse, patient, patient_links, security
    from tracker.web import auth as auth_views
    from tracker.web import error_pages as errors

    config.load(app, test_config)
    db.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    assets.init_app(app)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(library.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(nurse.bp)
    app.register_blueprint(patient.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(patient_links.bp)
    scheduler.init_app(app)
    return app
