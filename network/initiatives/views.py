from flask import Blueprint

bp = Blueprint("initiatives", __name__)


@bp.get("/initiatives")
def index():
    return "initiatives"
