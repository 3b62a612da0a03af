"""The plumbing of the API's versioned records, written once: read with an ETag, change and archive
with If-Match (428 without it; a stale version is the service's conflict, 412), create with 201, the
new record's ETag and its Location.

A resource names its blueprint, URL and schemas as class arguments and says only what differs: how
to find the record, which service changes or archives it. Each hook's docstring is the summary of
its operation in the OpenAPI document::

    class ProjectDetail(RecordResource, blueprint=bp, rule="/projects/<int:project_id>",
                        schema=schemas.ProjectSchema, input=schemas.ProjectInput):
        def read(self, project_id):
            \"\"\"A project\"\"\"
            return service.visible_project(actor(), project_id)

        def update(self, project, data, version):
            \"\"\"Change some fields; If-Match required\"\"\"
            service.update_project(actor(), project, data, version)

``read`` gives GET, ``update`` PATCH (the input schema, every field optional) and ``archive``
DELETE; a resource without ``update`` or ``archive`` has no such method.
"""

import re

from flask import url_for
from flask.views import MethodView

from network.api.conventions import ETAG_HEADER, VERSIONED_WRITE, WRITE, created, etag
from network.api.lookups import if_match_version


def _documented(function, hook):
    """``function`` with ``hook``'s docstring (flask-smorest's summary for the operation)."""
    function.__doc__ = hook.__doc__
    function.__name__ = hook.__name__
    return function


class RecordResource(MethodView):
    """One versioned record at one URL: GET (``read``), PATCH (``update``), DELETE (``archive``)."""

    endpoint: str
    key: str  # the URL's one variable, filled with the record's id in Locations

    def __init_subclass__(cls, *, blueprint=None, rule=None, schema=None, input=None, **kwargs):
        if blueprint is not None:
            cls._make_methods(blueprint, schema, input)
        super().__init_subclass__(**kwargs)  # MethodView's: the methods the class now answers
        if blueprint is not None:
            cls.endpoint = f"{blueprint.name}.{cls.__name__}"
            cls.key = re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", rule)[-1]
            blueprint.route(rule)(cls)

    @classmethod
    def _make_methods(cls, bp, schema, input) -> None:
        answer = bp.response(200, schema, headers=ETAG_HEADER)

        def get(self, **view_args):
            record = self.read(**view_args)
            return record, 200, etag(record)

        cls.get = answer(_documented(get, cls.read))
        if hasattr(cls, "update"):

            def patch(self, data, **view_args):
                record = self.read(**view_args)
                self.update(record, data, if_match_version(record))
                return record, 200, etag(record)

            cls.patch = bp.arguments(input(partial=True))(
                answer(bp.doc(**VERSIONED_WRITE)(_documented(patch, cls.update)))
            )
        if hasattr(cls, "archive"):

            def delete(self, **view_args):
                record = self.read(**view_args)
                self.archive(record, if_match_version(record))
                return record, 200, etag(record)

            cls.delete = answer(bp.doc(**VERSIONED_WRITE)(_documented(delete, cls.archive)))

    def read(self, **view_args):
        raise NotImplementedError

    @classmethod
    def location(cls, record) -> str:
        return url_for(cls.endpoint, **{cls.key: record.id})


class RecordAction(MethodView):
    """POST to a record's sub-URL (e.g. …/restore) that changes it with If-Match and answers with it.

    The subclass gives ``read`` (finding the record, as its RecordResource does) and ``act``.
    """

    def __init_subclass__(cls, *, blueprint=None, rule=None, schema=None, **kwargs):
        if blueprint is not None:

            def post(self, **view_args):
                record = self.read(**view_args)
                self.act(record, if_match_version(record))
                return record, 200, etag(record)

            cls.post = blueprint.response(200, schema, headers=ETAG_HEADER)(
                blueprint.doc(**VERSIONED_WRITE)(_documented(post, cls.act))
            )
        super().__init_subclass__(**kwargs)
        if blueprint is not None:
            blueprint.route(rule)(cls)


class CollectionResource(MethodView):
    """POST (``create``) a new record: 201 with it, its ETag and its Location (``detail``'s URL).

    The subclass may answer GET too (a list or a search: written out, they differ).
    """

    def __init_subclass__(cls, *, blueprint=None, rule=None, schema=None, input=None, detail=None, **kwargs):
        if blueprint is not None:

            def post(self, data, **view_args):
                record = self.create(data, **view_args)
                return created(record, detail.endpoint, **{detail.key: record.id})

            cls.post = blueprint.arguments(input)(
                blueprint.response(201, schema, headers=ETAG_HEADER)(
                    blueprint.doc(**WRITE)(_documented(post, cls.create))
                )
            )
        super().__init_subclass__(**kwargs)
        if blueprint is not None:
            blueprint.route(rule)(cls)
