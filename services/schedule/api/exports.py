"""The frab/C3VOC exports `/{event}/schedule.xml` and `/{event}/schedule.json`."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from services.schedule.api.published import stored_response
from shared.permissions import public

blp = Blueprint(
    "exports",
    __name__,
    url_prefix="",
    description="frab exports for schedule apps",
)


@blp.route("/<event>/schedule.xml")
class ScheduleXml(MethodView):
    @public
    @blp.doc(
        responses={"200": {"description": "frab schedule.xml", "content": {"application/xml": {}}}}
    )
    def get(self, event: str):
        """The latest release as frab schedule.xml."""
        return stored_response(event, "schedule.xml")


@blp.route("/<event>/schedule.json")
class ScheduleJson(MethodView):
    @public
    @blp.doc(
        responses={
            "200": {"description": "frab schedule.json", "content": {"application/json": {}}}
        }
    )
    def get(self, event: str):
        """The latest release as frab/C3VOC schedule.json."""
        return stored_response(event, "schedule.json")
