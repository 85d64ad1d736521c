"""The timetable grid of one event day: stages as columns, time down the side in quarter hours.

Plain functions over a release's data (the `schedule.release.published` form). A day runs from
04:00 to 03:59 where the event happens (`shared.calendars.event_day`), so a session at 01:00 is
on the evening before's grid. Rows count elapsed quarter hours from the grid's first full hour:
on the night the clocks change, a session keeps its real length and the side labels show the
wall-clock times as they happen (01:45, then 03:00 in spring; 02:45 twice in autumn).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.schedule.pages.programme import ends, starts
from shared.calendars import event_day

QUARTER = timedelta(minutes=15)
HOUR = timedelta(hours=1)
# A grid is at most this long: a session of a week must not make it thousands of rows long.
MAX_ROWS = 4 * 36


@dataclass(frozen=True)
class Block:
    """A session placed on the grid: rows counted from 0 (the grid's first quarter hour),
    columns from 0 (the first lane of the first stage)."""

    info: dict[str, Any]
    row: int
    rows: int
    column: int
    columns: int


@dataclass(frozen=True)
class Column:
    guid: str
    name: str
    address: str
    lanes: int
    first: int  # the first lane's column index


@dataclass
class Grid:
    day: date
    starts_at: datetime | None = None  # aware, UTC
    rows: int = 0
    columns: list[Column] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    labels: list[tuple[int, str, datetime]] = field(default_factory=list)  # row, "HH:MM", moment
    now_minutes: float | None = None  # the now-line, minutes from the grid's start

    @property
    def lanes(self) -> int:
        return sum(column.lanes for column in self.columns)


def timetable_days(sessions: list[dict[str, Any]], zone: ZoneInfo) -> list[date]:
    """The event days that have sessions, in order."""
    return sorted({event_day(starts(info), zone) for info in sessions})


def _floor_hour(moment: datetime, zone: ZoneInfo) -> datetime:
    local = moment.astimezone(zone)
    return moment - timedelta(
        minutes=local.minute, seconds=local.second, microseconds=local.microsecond
    )


def _lanes(infos: list[dict[str, Any]]) -> list[int]:
    """Sessions of one stage (in time order) spread over lanes so that none overlap."""
    lane_ends: list[datetime] = []
    lanes = []
    for info in infos:
        for index, lane_end in enumerate(lane_ends):
            if lane_end <= starts(info):
                lane_ends[index] = ends(info)
                lanes.append(index)
                break
        else:
            lane_ends.append(ends(info))
            lanes.append(len(lane_ends) - 1)
    return lanes


def timetable_grid(
    sessions: list[dict[str, Any]], day: date, zone: ZoneInfo, now: datetime | None = None
) -> Grid:
    """The grid of `day`: the sessions whose event day it is, each stage a column (split in
    lanes where its sessions overlap), rows of a quarter hour from the first session's full
    hour to the last one's end; and the now-line's place if `now` falls within it."""
    grid = Grid(day=day)
    todays = sorted(
        (info for info in sessions if event_day(starts(info), zone) == day),
        key=lambda info: (starts(info), ends(info), info["id"]),
    )
    if not todays:
        return grid
    first = _floor_hour(min(starts(info) for info in todays), zone).astimezone(UTC)
    last = max(ends(info) for info in todays).astimezone(UTC)
    grid.starts_at = first
    grid.rows = min(MAX_ROWS, max(1, math.ceil((last - first) / QUARTER)))

    by_stage: dict[str, list[dict[str, Any]]] = {}
    for info in todays:
        by_stage.setdefault(info["stage"]["guid"], []).append(info)
    ordered = sorted(
        by_stage.items(), key=lambda item: (item[1][0]["stage"]["name"].casefold(), item[0])
    )
    column = 0
    for guid, infos in ordered:
        lanes = _lanes(infos)
        stage = infos[0]["stage"]
        grid.columns.append(
            Column(guid, stage["name"], stage.get("address") or "", max(lanes) + 1, column)
        )
        for info, lane in zip(infos, lanes, strict=True):
            row = min(grid.rows - 1, int((starts(info) - first) / QUARTER))
            end_row = min(grid.rows, max(row + 1, math.ceil((ends(info) - first) / QUARTER)))
            grid.blocks.append(Block(info, row, end_row - row, column + lane, 1))
        column += max(lanes) + 1
    # A session alone in its lane at that time gets the stage's whole width.
    grid.blocks = [_widen(block, grid) for block in grid.blocks]
    grid.blocks.sort(key=lambda block: (block.row, block.column))

    for row in range(grid.rows):
        moment = first + row * QUARTER
        local = moment.astimezone(zone)
        if local.minute in (0, 30):
            grid.labels.append((row, local.strftime("%H:%M"), local))
    if now is not None:
        minutes = (now - first) / timedelta(minutes=1)
        if 0 <= minutes <= grid.rows * 15:
            grid.now_minutes = minutes
    return grid


def _widen(block: Block, grid: Grid) -> Block:
    column = next(c for c in grid.columns if c.first <= block.column < c.first + c.lanes)
    if column.lanes == 1:
        return block
    overlapping = any(
        other is not block
        and column.first <= other.column < column.first + column.lanes
        and other.row < block.row + block.rows
        and block.row < other.row + other.rows
        for other in grid.blocks
    )
    if overlapping:
        return block
    return Block(block.info, block.row, block.rows, column.first, column.lanes)


def parse_day(text: str) -> date | None:
    """`YYYY-MM-DD` as a date; None for anything else."""
    if len(text) != 10:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
