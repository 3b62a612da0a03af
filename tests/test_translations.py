"""English and Simplified Chinese: how the language is chosen, pages in Chinese, and a complete catalogue.

The catalogue tests fail when a string is added to the code or templates without a Chinese
translation: run scripts/update-translations, translate the new entries, run it again.
"""

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from sqlalchemy import select

from network.extensions import db
from network.models import Initiative, InitiativeProject
from tests import factories as f
from tests.conftest import login

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "network" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
COMPILED = CATALOGUE.with_suffix(".mo")
# The keywords scripts/update-translations passes to pybabel, on top of Babel's defaults.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "_lp": ((1, "c"), 2)}
# %(name)s, %(n)d, %(s).1f, %%; and {name} for str.format strings.
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]|\{\w*\}")
HTML_TAG = re.compile(r"</?\w+[^>]*>")


def catalogue():
    with CATALOGUE.open("rb") as file:
        return read_po(file, locale="zh")


def as_key(value):
    """Plural ids and strings come as lists from .mo files and tuples from .po files."""
    return tuple(value) if isinstance(value, list | tuple) else value


def entries(cat):
    """(msgid, msgstr) pairs, one per plural form, without the header."""
    for message in cat:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            yield message, ids, string


# --- the catalogue -------------------------------------------------------------------------------


def test_every_message_is_translated_and_none_is_fuzzy():
    cat = catalogue()
    assert len(cat) > 800  # the whole interface, not a stub
    assert not cat.fuzzy, "the catalogue header is marked fuzzy"
    untranslated = [ids[0] for _, ids, string in entries(cat) if not string.strip()]
    fuzzy = [message.id for message in cat if message.id and message.fuzzy]
    assert not untranslated, f"untranslated (run scripts/update-translations and translate): {untranslated}"
    assert not fuzzy, f"fuzzy (check the translation, then remove the fuzzy mark): {fuzzy}"


def test_every_string_in_the_code_is_in_the_catalogue():
    """Extracts like scripts/update-translations does: a string wrapped since the last update fails here."""
    with (ROOT / "babel.cfg").open() as file:
        method_map, options_map = parse_mapping_cfg(file)
    in_code = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        in_code.add(message[0] if isinstance(message, tuple) else message)
    translated = {message.id[0] if isinstance(message.id, tuple) else message.id for message in catalogue()}
    missing = sorted(in_code - translated)
    assert not missing, f"not in messages.po (run scripts/update-translations and translate): {missing}"


def test_translations_keep_every_placeholder_and_html_tag():
    wrong = []
    for _message, ids, string in entries(catalogue()):
        expected = Counter(PLACEHOLDER.findall(ids[-1]))
        if Counter(PLACEHOLDER.findall(string)) != expected:
            wrong.append((ids[0], string))
        if Counter(HTML_TAG.findall(ids[0])) != Counter(HTML_TAG.findall(string)):
            wrong.append((ids[0], string))
    assert not wrong, wrong


def test_placeholders_check_catches_a_dropped_placeholder():
    assert Counter(PLACEHOLDER.findall("%(name)s: %(n)d in %(s).1f s, 5%%")) == Counter(
        ["%(name)s", "%(n)d", "%(s).1f", "%%"]
    )
    assert Counter(PLACEHOLDER.findall("欢迎。")) != Counter(PLACEHOLDER.findall("Welcome, %(name)s."))


def test_the_compiled_catalogue_matches_the_po_file():
    """messages.mo is committed so the app runs without a build step: it must not lag behind."""
    with COMPILED.open("rb") as file:
        compiled = {(m.context, as_key(m.id)): as_key(m.string) for m in read_mo(file) if m.id}
    source = {(m.context, as_key(m.id)): as_key(m.string) for m in catalogue() if m.id}
    assert compiled == source, "run scripts/update-translations to compile messages.mo"


def test_one_english_word_can_read_differently_by_context(app):
    from flask_babel import force_locale

    from network import labels

    with app.test_request_context(), force_locale("zh"):
        assert str(labels.MEMBERSHIP_STATUS_LABELS["active"]) == "活跃"
        assert str(labels.PROJECT_STATUS_LABELS["active"]) == "进行中"
        assert str(labels.PARTNERSHIP_STATUS_LABELS["active"]) == "有效"


# --- choosing the language -----------------------------------------------------------------------


@pytest.fixture
def green(db_session):
    node = f.network("CAN East Asia", slug="can-ea")
    org = f.organization("Green Earth", slug="green-earth", country="CN", kind="ngo", networks=[node])
    f.person(org, "Listed Li", consent_to_list=True)
    project = f.project(org, "Truck Retrofit", themes=["transport"], countries=["KE"])
    f.outcome(project, "120")
    ini = f.initiative("Clean Freight Asia", slug="clean-freight", network=node)
    f.participant(ini, org, role="lead")
    db_session.add(InitiativeProject(initiative=ini, project=project))
    db_session.commit()
    return org


def page(client, url, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_home_page_in_chinese(client, green, db_session):
    green.website = "https://green.example.org/"  # an update: the recent changes name the field
    db_session.commit()
    html = page(client, "/?lang=zh")
    assert 'lang="zh-Hans"' in html
    for text in ["名录", "联合行动", "成员组织", "最近的修改", "全球成员分布", "· 网站", "中国"]:
        assert text in html, text
    assert ">Directory<" not in html and "Recent changes" not in html


def test_directory_follows_accept_language(client, green):
    html = page(client, "/organizations", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert 'lang="zh-Hans"' in html
    for text in ["名录", "搜索组织", "个组织", "Green Earth"]:
        assert text in html, text
    assert "Search organisations" not in html


def test_english_is_the_default(client, green):
    html = page(client, "/organizations", headers={"Accept-Language": "fr-FR,de;q=0.8"})
    assert 'lang="en"' in html and ">Directory<" in html and "名录" not in html


def test_organization_page_in_chinese(client, green):
    html = page(client, "/organizations/green-earth?lang=zh")
    for text in ["非政府组织", "成员资格", "联系人", "项目", "联合行动", "牵头方", "CAN East Asia", "Truck Retrofit"]:
        assert text in html, text
    assert "Memberships" not in html


def test_initiative_page_in_chinese(client, green):
    html = page(client, "/initiatives/clean-freight?lang=zh")
    # the breakdown by country and theme names them in Chinese too
    for text in ["参与方", "目标完成进展", "牵头方", "关联项目", "Green Earth", "交通运输", "肯尼亚"]:
        assert text in html, text
    assert "Participants" not in html and ">Transport<" not in html and ">Kenya<" not in html


def test_login_page_in_chinese_and_its_messages(client, green):
    html = page(client, "/login?lang=zh")
    for text in ["登录", "电子邮箱", "密码", "忘记密码？", "在此设备上保持登录"]:
        assert text in html, text
    refused = client.post("/login", data={"email": "nobody@example.org", "password": "wrong password 123"})
    assert "电子邮箱或密码错误" in refused.get_data(as_text=True)


def test_the_choice_is_remembered_for_the_session_and_can_be_switched_back(client, green):
    page(client, "/?lang=zh")
    assert "忘记密码？" in page(client, "/login")  # no lang parameter: the session remembers
    html = page(client, "/login?lang=en")
    assert "Forgot your password?" in html and "忘记密码？" not in html
    assert "Forgot your password?" in page(client, "/login", headers={"Accept-Language": "zh-CN"})


def test_unknown_language_is_ignored(client, green):
    html = page(client, "/login?lang=xx", headers={"Accept-Language": "zh-CN"})
    assert "忘记密码？" in html  # falls through to the browser's language


def test_a_users_own_language_beats_the_browsers(client, green):
    user = f.user("viewer", locale="zh")
    db.session.commit()
    login(client, user)
    html = page(client, "/organizations", headers={"Accept-Language": "en"})
    assert "搜索组织" in html and "退出登录" in html


def test_language_switch_links_keep_the_page(client, green):
    html = page(client, "/organizations/green-earth")
    assert 'href="/organizations/green-earth?lang=zh"' in html
    assert "中文" in html


def test_error_pages_in_chinese(client, green):
    response = client.get("/no-such-page?lang=zh")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "未找到" in html and "此地址没有页面。" in html and "Not Found" not in html
    response = client.get("/organizations/no-such-organisation?lang=zh")
    assert response.status_code == 404
    assert "没有使用此地址的组织。" in response.get_data(as_text=True)


def test_service_messages_follow_the_language(app):
    """Services raise messages in the request's language (and in English outside requests)."""
    from network import permissions
    from network.errors import PermissionDenied

    with app.app_context(), pytest.raises(PermissionDenied) as denied:  # like a CLI command
        permissions.require(None, "organization.create")
    assert denied.value.message == "You do not have permission to do this."
    with app.test_request_context("/?lang=zh"), pytest.raises(PermissionDenied) as denied:
        permissions.require(None, "organization.create")
    assert denied.value.message == "您无权执行此操作。"


@pytest.mark.parametrize("url", ["/initiatives/new", "/organizations/new"])
def test_form_choices_name_countries_and_themes_in_chinese(client, green, url):
    admin = f.user("admin", locale="zh")
    db.session.commit()
    login(client, admin)
    html = page(client, url)
    assert '<option value="CN">中国</option>' in html or 'value="CN" selected>中国' in html
    assert ">交通运输</option>" in html
    assert ">Transport</option>" not in html


def test_local_titles_and_decades_in_chinese(client, green, db_session):
    green.founded = 1994
    green.name_local = "绿色地球"
    ini = db_session.scalars(select(Initiative).where(Initiative.slug == "clean-freight")).one()
    ini.title_local = "亚洲清洁货运"
    db_session.commit()
    html = page(client, "/organizations?lang=zh")
    assert "1990年代" in html and "1990s" not in html
    graph = client.get("/organizations/green-earth/graph.json?lang=zh").get_json()
    assert {"绿色地球", "亚洲清洁货运"} <= {n["name"] for n in graph["nodes"]}
    # lists name a participant and a linked project's lead by their Chinese names
    assert "绿色地球" in page(client, "/initiatives/clean-freight?lang=zh")
    assert "绿色地球" in page(client, "/initiatives/clean-freight/report?lang=zh")
    assert "亚洲清洁货运" in page(client, "/organizations/green-earth?lang=zh")
    english = client.get("/organizations/green-earth/graph.json?lang=en").get_json()
    assert {"Green Earth", "Clean Freight Asia"} <= {n["name"] for n in english["nodes"]}
