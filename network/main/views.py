"""Home page and the network node tree."""

from flask import Blueprint, render_template
from flask_login import current_user

from network import permissions
from network.services import overview

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    permissions.require(current_user, "directory.view")
    return render_template("main/home.html", counts=overview.counts(), recent=overview.recent_changes(limit=10))


@bp.get("/networks")
def networks():
    permissions.require(current_user, "network.view")
    return render_template("main/networks.html", tree=overview.network_tree())
