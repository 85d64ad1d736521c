// What ical.js (the parser of Thunderbird and Nextcloud Calendar) reads in iCalendar files.
//
// stdin: one .ics, or a JSON list of .ics texts. stdout: JSON, for each file
// {"method", "events": [{uid, sequence, organizer, status, start, end, start_zone, end_zone}]}
// (a list of them for a list), start/end as UTC instants converted by ical.js itself with the
// file's own VTIMEZONEs, registered as Thunderbird and Nextcloud do; a file ical.js cannot
// parse gives {"error": "..."} instead. Run by tests/support/calendar_clients.py.
import ICAL from "./vendor/ical.min.mjs";

function utc(time) {
  return time === null ? null : time.toJSDate().toISOString();
}

function zoneOf(time) {
  // "floating" means ical.js found no definition of the TZID: the result would then depend on
  // the machine's own time zone, which the caller treats as a misreading.
  return time === null ? null : time.zone.tzid;
}

function read(text) {
  try {
    ICAL.TimezoneService.reset();
    const calendar = new ICAL.Component(ICAL.parse(text));
    for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
      ICAL.TimezoneService.register(vtimezone);
    }
    const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
      const event = new ICAL.Event(vevent);
      return {
        uid: event.uid,
        sequence: vevent.getFirstPropertyValue("sequence"),
        organizer: vevent.getFirstPropertyValue("organizer"),
        status: vevent.getFirstPropertyValue("status"),
        start: utc(event.startDate),
        end: utc(event.endDate),
        start_zone: zoneOf(event.startDate),
        end_zone: zoneOf(event.endDate),
      };
    });
    return { method: calendar.getFirstPropertyValue("method"), events };
  } catch (error) {
    return { error: String(error && error.stack ? error.stack : error) };
  }
}

const chunks = [];
for await (const chunk of process.stdin) {
  chunks.push(chunk);
}
const input = Buffer.concat(chunks).toString("utf-8");
const result = input.trimStart().startsWith("[") ? JSON.parse(input).map(read) : read(input);
process.stdout.write(JSON.stringify(result));
