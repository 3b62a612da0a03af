"""Flask extensions, created unbound and initialised in create_app()."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from network.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# With Redis down, limits are counted in this process's memory (Flask-Limiter logs a warning) and go
# back to Redis once it answers; a storage error never fails the request it was counting.
limiter = Limiter(key_func=get_remote_address, default_limits=[], in_memory_fallback_enabled=True, swallow_errors=True)
babel = Babel()
