"""frab: C3VOC's `schedule.xml` and `schedule.json`, the files schedule apps read.

The formats (https://c3voc.de/wiki/schedule) are what Giggity, EventFahrplan, C3VOC's streaming
website and info-beamer read, and what pretalx and frab export. Ours validate against the XSD and
the JSON schema of github.com/voc/schedule (copies in `tests/schedule/schemas/`).

- `conventions`: what writing and reading agree on (how our data is carried in the formats).
- `export`: a release rendered as schedule.xml / schedule.json (`render_schedule_xml`,
  `render_schedule_json`).
- `reading`: a schedule.xml / schedule.json of any tool read as a programme document
  (`parse_frab`, `FrabFormatError`).
"""
