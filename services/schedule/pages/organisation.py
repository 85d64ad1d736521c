"""The organisation's page for its owners (issue 12): members (invited by mail, roles, a new
link to set the password, removal) and API tokens; and the page where an invited member sets
the password with the one-time link.

Every route names the organisation in its path, so `@organiser_login_required` answers 404 to
anyone who is not its member (or a platform administrator) and 403 to a member who is not an
owner. Forms are loaded through the API's schemas (`MembershipSchema`, `TokenRequestSchema`).
"""

from __future__ import annotations

from datetime import timedelta

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import Schema

from services.schedule import organisations, organisers, tokens
from services.schedule.pages import pages
from services.schedule.pages.organiser import load_form
from services.schedule.schemas import (
    MemberInvitationSchema,
    MembershipSchema,
    TokenRequestSchema,
)
from shared.errors import DomainError
from shared.organisations import membership
from shared.pages import current_language, service_url, translate
from shared.pages.organisers import organiser_login_required
from shared.permissions import public
from shared.web import db_session, field_errors

MEMBERSHIP = MembershipSchema()
NEW_TOKEN = TokenRequestSchema()
NEW_MEMBER = MemberInvitationSchema()


def _membership_form(schema: Schema, organisation: str) -> tuple[dict, dict]:
    """The form's role and events (and what else `schema` reads) as values with the checked
    membership under "member", or errors by field."""
    form = request.form
    data = {"role": form.get("role", ""), "events": form.getlist("events")}
    # What the form leaves out takes the schema's default, as in the API.
    data |= {
        name: form[name].strip() for name in schema.fields if name in form and name not in data
    }
    values, errors = load_form(schema, data)
    if errors:
        return {}, errors
    try:
        organisations.check_membership(db_session(), organisation, values["events"])
    except DomainError as error:
        return {}, field_errors(error.errors, lambda path: path[-1])
    values["member"] = membership(organisation, values["role"], tuple(values["events"]))
    return values, {}


def _page(organisation: str, *, status: int = 200, new_token: str | None = None, **form):
    session = db_session()
    found = organisations.find_organisation(session, organisation)
    return render_template(
        "pages/organiser/organisation.html",
        organisation=found,
        members=organisers.organisation_members(session, organisation),
        tokens=tokens.organisation_tokens(session, organisation),
        events=organisations.organisation_events(session, organisation),
        token_id=tokens.token_id,
        new_token=new_token,
        values=form.get("values", {}),
        errors=form.get("errors", {}),
    ), status


@pages.get("/organisations/<organisation>/")
@organiser_login_required("members.manage")
def organisation_page(organisation: str):
    return _page(organisation)


@pages.post("/organisations/<organisation>/tokens")
@organiser_login_required("members.manage")
def create_token(organisation: str):
    values, errors = _membership_form(NEW_TOKEN, organisation)
    if errors:
        return _page(organisation, status=422, values=request.form, errors=errors)
    token = tokens.issue_token(
        db_session(),
        values["name"],
        values["member"],
        timedelta(days=values["expires_in_days"]),
    )
    # Shown in this answer only (organiser pages are not stored by browsers): not redirected.
    return _page(organisation, new_token=token)


@pages.post("/organisations/<organisation>/tokens/<token_id>/revoke")
@organiser_login_required("members.manage")
def revoke_token(organisation: str, token_id: str):
    revoked = tokens.revoke_token(db_session(), organisation, token_id)
    flash(_("Token “%(name)s” revoked in every service.", name=revoked.name), "success")
    return redirect(url_for(".organisation_page", organisation=organisation), 303)


def _password_link(secret: str) -> str:
    return service_url("schedule", f"/password/{secret}")


@pages.post("/organisations/<organisation>/members")
@organiser_login_required("members.manage")
def invite_member(organisation: str):
    values, errors = _membership_form(NEW_MEMBER, organisation)
    if not errors:
        try:
            organisers.invite_member(
                db_session(),
                organisations.find_organisation(db_session(), organisation),
                values,
                invited_by=g.principal.name,
                link_for=_password_link,
            )
        except DomainError as error:
            errors = field_errors(error.errors, lambda path: path[-1])
    if errors:
        return _page(organisation, status=422, values=request.form, errors=errors)
    flash(
        _("%(name)s is invited: the link to set a password is on its way.", name=values["name"]),
        "success",
    )
    return redirect(url_for(".organisation_page", organisation=organisation), 303)


@pages.post("/organisations/<organisation>/members/link")
@organiser_login_required("members.manage")
def send_password_link(organisation: str):
    name = request.form.get("name", "")
    try:
        organisers.send_password_link(
            db_session(),
            organisations.find_organisation(db_session(), organisation),
            organisers.find_member(db_session(), organisation, name),
            locale=current_language(),
            invited=False,
            invited_by=g.principal.name,
            link_for=_password_link,
        )
    except DomainError as error:
        flash(translate(error.message), "error")
    else:
        flash(_("A new link to set the password is on its way to %(name)s.", name=name), "success")
    return redirect(url_for(".organisation_page", organisation=organisation), 303)


@pages.route("/password/<token>", methods=["GET", "POST"])
@public
def set_password(token: str):
    """The one-time link of an invited member (or a new link): choose the password."""
    account = organisers.account_of_password_link(db_session(), token)
    errors, status = {}, 200
    if request.method == "POST":
        password = request.form.get("password", "")
        if password != request.form.get("repeat", ""):
            errors = {"repeat": [_("The two passwords differ.")]}
        else:
            try:
                organisers.set_password_with_link(db_session(), token, password)
            except DomainError as error:
                errors = field_errors(error.errors, lambda path: path[-1])
            else:
                flash(_("Your password is set: log in with it."), "success")
                return redirect(url_for(".login"), 303)
        status = 422
    return render_template(
        "pages/organiser/set_password.html", account=account, errors=errors
    ), status


@pages.post("/organisations/<organisation>/members/change")
@organiser_login_required("members.manage")
def change_member(organisation: str):
    name = request.form.get("name", "")
    values, errors = _membership_form(MEMBERSHIP, organisation)
    if not errors:
        try:
            organisers.change_membership(db_session(), organisation, name, values["member"])
        except DomainError as error:
            errors = {"role": [translate(error.message)]}
    if errors:
        return _page(organisation, status=422, values=request.form, errors=errors)
    flash(_("The role of %(name)s is changed; they log in again.", name=name), "success")
    return redirect(url_for(".organisation_page", organisation=organisation), 303)


@pages.post("/organisations/<organisation>/members/remove")
@organiser_login_required("members.manage")
def remove_member(organisation: str):
    name = request.form.get("name", "")
    try:
        organisers.remove_member(db_session(), organisation, name)
    except DomainError as error:
        flash(translate(error.message), "error")
        return redirect(url_for(".organisation_page", organisation=organisation), 303)
    flash(_("%(name)s is no longer a member; their sessions have ended.", name=name), "success")
    return redirect(url_for(".organisation_page", organisation=organisation), 303)
