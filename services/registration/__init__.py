"""The registration service: seats, waiting lists, cancellation, check-in and personal data.

Domain (plain functions taking a SQLAlchemy session):
- `seats`: one row per seat, claimed with `FOR UPDATE SKIP LOCKED`; promotions, capacity
  changes and the invariants that keep seats from being overbooked or left free;
- `booking`: registering (`register`) and email confirmation; `manage`: what the secret link
  allows; `checkin`; `reports` (availability, counts, lists, CSV); `programme`: the consumer of
  `schedule.release.published`; `sweeper`: expired holds, seats of no-shows, free seats,
  purging personal data;
- `publishing`: the `registration.*` messages (see `shared/messages/registration.py`).

HTTP: `api/` (JSON under /api/v1) and `pages/`: the registration form, the manage page at
/{event}/manage/{token}, and the organisers' lists, export, settings and check-in.
Settings beyond the shared `Config`: `settings.RegistrationSettings` (REGISTRATION_* variables).
"""
