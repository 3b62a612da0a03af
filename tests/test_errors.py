"""network/errors.py: the default messages follow the reader's language, and still work outside a
request (a CLI command, a job)."""

from flask_babel import force_locale, refresh

from network.errors import Conflict


def test_conflict_default_message_is_translated(app):
    with app.test_request_context(), force_locale("zh"):
        assert Conflict().message == "您打开此记录后，已有其他人修改过它。"
    with app.test_request_context(headers={"Accept-Language": "zh-CN,zh;q=0.9"}):
        refresh()  # Babel keeps the locale it chose on the app context the fixture holds open
        assert str(Conflict()) == "您打开此记录后，已有其他人修改过它。"
    with app.test_request_context():
        refresh()
        assert Conflict().message == "This record was changed by someone else after you opened it."


def test_conflict_outside_a_request_is_in_the_default_language(app):
    with app.app_context():  # as in `flask …` commands and queued jobs
        assert Conflict().message == "This record was changed by someone else after you opened it."
    assert Conflict().message == "This record was changed by someone else after you opened it."  # no app at all
    assert Conflict("Given").message == "Given"
