"""Every extension object, created unbound in one place: no import cycles."""

from flask import Flask, current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, RateLimiter

from recovery.orm import Base, json_loads

db = SQLAlchemy(model_class=Base, engine_options={"json_deserializer": json_loads})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# No default limits: only the routes that need one (login, token, reset) carry it.
limiter = Limiter(key_func=get_remote_address)
mail = Mail()
babel = Babel()


def init_failure_counter(app: Flask) -> None:
    """Failed passwords and codes are counted in the limiter's storage
    (RATELIMIT_STORAGE_URI), by a counter of their own: a clinic may turn request
    limits off (RATELIMIT_ENABLED=0, a proxy limits instead), but never the
    lock-out of password guessing (Flask-Limiter builds no storage when off)."""
    storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
    app.extensions["failure_counter"] = FixedWindowRateLimiter(storage)


def failure_counter() -> RateLimiter:
    """The app's counter of failed logins and second-factor codes."""
    counter: RateLimiter = current_app.extensions["failure_counter"]
    return counter
