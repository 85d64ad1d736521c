"""What every service's app does: JSON errors, one transaction per request, health, correlation."""

from __future__ import annotations

import json

import marshmallow as ma
import pytest
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import func, select

from services.schedule.models import OutboxMessage
from shared.errors import Invalid
from shared.i18n import N_
from shared.outbox import add_message
from shared.web import create_service_app, db_session


class NoteSchema(ma.Schema):
    stage = ma.fields.String(required=True, validate=ma.validate.Length(max=20))
    session = ma.fields.Integer(required=True)
    fail = ma.fields.Boolean(load_default=False)


def note_blueprint() -> Blueprint:
    blp = Blueprint("notes", __name__, url_prefix="/api/v1/notes")

    @blp.route("")
    class Notes(MethodView):
        @blp.arguments(NoteSchema)
        @blp.response(201, NoteSchema)
        def post(self, note):
            add_message(
                db_session(),
                OutboxMessage,
                "schedule.live.updated",
                {
                    "event": "e",
                    "stage": note["stage"],
                    "session": note["session"],
                    "status": "on_air",
                },
                aggregate=note["stage"],
            )
            if note["fail"]:
                from werkzeug.exceptions import Conflict

                raise Conflict("refused after writing")
            return note

    return blp


@pytest.fixture
def client(make_config, schedule_db):
    config = make_config(schedule_db=schedule_db, max_content_length=2048)
    app = create_service_app("schedule", config, title="Test API", blueprints=[note_blueprint()])
    return app.test_client()


def outbox_rows(db) -> list[OutboxMessage]:
    with db.transaction() as session:
        return list(session.scalars(select(OutboxMessage)))


def test_successful_request_commits_and_its_message_carries_the_correlation_id(client, schedule_db):
    response = client.post(
        "/api/v1/notes", json={"stage": "main", "session": 1}, headers={"X-Correlation-ID": "abc-1"}
    )
    assert response.status_code == 201
    assert response.headers["X-Correlation-ID"] == "abc-1"
    [row] = outbox_rows(schedule_db)
    assert json.loads(row.body)["correlation_id"] == "abc-1"


def test_a_request_without_correlation_id_gets_a_fresh_one(client, schedule_db):
    response = client.post("/api/v1/notes", json={"stage": "main", "session": 1})
    generated = response.headers["X-Correlation-ID"]
    assert len(generated) == 32
    assert json.loads(outbox_rows(schedule_db)[0].body)["correlation_id"] == generated


def test_failed_request_rolls_back_everything(client, schedule_db):
    response = client.post("/api/v1/notes", json={"stage": "main", "session": 1, "fail": True})
    assert response.status_code == 409
    assert response.json["message"] == "refused after writing"
    assert outbox_rows(schedule_db) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"session": 1}, "stage"),
        ({"stage": "x" * 21, "session": 1}, "stage"),
        ({"stage": "main", "session": "many"}, "session"),
    ],
)
def test_invalid_input_is_a_422_naming_the_field(client, schedule_db, body, field):
    response = client.post("/api/v1/notes", json=body)
    assert response.status_code == 422
    assert set(response.json) == {"code", "message", "errors"}
    assert response.json["code"] == 422
    assert list(response.json["errors"]) == [field]
    assert outbox_rows(schedule_db) == []


def test_malformed_json_is_a_400_not_a_500(client):
    response = client.post("/api/v1/notes", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json["code"] == 400


def test_oversized_body_is_a_413(client):
    response = client.post("/api/v1/notes", json={"stage": "x" * 5000, "session": 1})
    assert response.status_code == 413
    assert response.json["code"] == 413


def test_unknown_path_and_method_are_json_errors(client):
    assert client.get("/nowhere").json["code"] == 404
    response = client.delete("/api/v1/notes")
    assert response.status_code == 405
    assert response.json["code"] == 405


def test_health_and_readiness(client):
    assert client.get("/healthz").json == {"status": "alive"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": "ok", "broker": "ok"}


def test_readiness_fails_when_the_database_is_gone(make_config, tmp_path):
    config = make_config()
    config = config.with_overrides(
        database_urls={**config.database_urls, "schedule": "postgresql://nobody@127.0.0.1:1/x"},
        amqp_url="amqp://guest:guest@127.0.0.1:1/%2F",
    )
    app = create_service_app("schedule", config, title="Test API", blueprints=[])
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["broker"] == "unreachable"
    assert response.json["checks"]["database"].startswith("unreachable")


def test_an_instance_stays_ready_while_the_broker_is_away(make_config):
    config = make_config().with_overrides(amqp_url="amqp://guest:guest@127.0.0.1:1/%2F")
    app = create_service_app("schedule", config, title="Test API", blueprints=[])
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "broker": "unreachable"}


def test_openapi_document_is_served_with_our_error_schema(client):
    spec = client.get("/api/v1/openapi.json").json
    assert "/api/v1/notes" in spec["paths"]
    assert set(spec["components"]["schemas"]["Error"]["properties"]) == {
        "code",
        "message",
        "errors",
    }


def test_outbox_row_count_unchanged_by_reads(client, schedule_db):
    client.get("/api/v1/openapi.json")
    with schedule_db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


@pytest.fixture
def refusing_client(make_config, schedule_db):
    """An app whose one route refuses like a domain function, with a parameter holding the
    characters that broke the old "Deutsch / English" split."""
    app = create_service_app(
        "schedule", make_config(schedule_db=schedule_db), title="T", blueprints=[]
    )

    @app.get("/refuse")
    def refuse():
        problem = N_("Overlaps in time with %(session)s.", session="Arbeit / Zukunft 100 %")
        raise Invalid({"sessions": {"3": [problem]}})

    return app.test_client()


@pytest.mark.parametrize(
    ("headers", "message", "problem"),
    [
        (
            {},
            "Die Eingaben sind ungültig.",
            "Überschneidet sich zeitlich mit Arbeit / Zukunft 100 %.",
        ),
        (
            {"Accept-Language": "en"},
            "The input is invalid.",
            "Overlaps in time with Arbeit / Zukunft 100 %.",
        ),
    ],
)
def test_a_domain_error_is_json_in_the_request_language(refusing_client, headers, message, problem):
    response = refusing_client.get("/refuse", headers=headers)
    assert response.status_code == 422
    assert response.json == {
        "code": 422,
        "message": message,
        "errors": {"sessions": {"3": [problem]}},
    }


def test_a_domain_error_is_a_readable_page_for_a_browser(refusing_client):
    response = refusing_client.get("/refuse", headers={"Accept": "text/html"})
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Die Eingaben sind ungültig." in page
    assert "Überschneidet sich zeitlich mit Arbeit / Zukunft 100 %." in page
