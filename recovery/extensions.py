"""Every extension object, created unbound in one place: no import cycles."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from recovery.orm import Base, json_loads

db = SQLAlchemy(model_class=Base, engine_options={"json_deserializer": json_loads})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# No default limits: only the routes that need one (login, token, reset) carry it.
limiter = Limiter(key_func=get_remote_address)
mail = Mail()
babel = Babel()
