from flask import Blueprint

from network.extensions import db, login_manager
from network.models import User

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str):
    ident, _, token = user_id.partition(":")
    user = db.session.get(User, int(ident)) if ident.isdigit() else None
    if user is None or (user.session_token or "") != token:
        return None
    return user
