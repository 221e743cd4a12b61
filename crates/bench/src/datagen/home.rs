//! The `home` shape of the InfluxDB tutorial: every room reports every 10 s (files) or every
//! clock interval (line protocol): a temperature and a humidity (floats, one decimal) and a
//! carbon monoxide level (integer), each a random walk per room.

use crate::datagen::{push_tenths, push_timestamp, walk, Clocking, Format, Rows};
use crate::rng::Rng;

const HOME_HEADER: &[u8] = b"time,room,temp,hum,co\n";
/// The rooms of the data set files.
pub const ROOMS: [&str; 12] = [
    "Living Room",
    "Kitchen",
    "Master Bedroom",
    "Guest Room",
    "Kids Room",
    "Office",
    "Dining Room",
    "Bathroom",
    "Laundry",
    "Garage",
    "Basement",
    "Attic",
];
/// 2022-01-01T08:00:00Z, the first timestamp of the tutorial data.
const HOME_START: u64 = 1_641_024_000;

/// The `home` shape: every room reports every 10 s; temp in tenths of a degree, hum in tenths of
/// a percent, co a small integer, each a random walk per room.
#[derive(Debug, Clone)]
pub(crate) struct HomeRows {
    rng: Rng,
    /// Room names, and each as the start of a line protocol line: `home,room=NAME `.
    rooms: Vec<(String, Vec<u8>)>,
    /// Rounds completed (all rooms written once).
    round: i64,
    time: u64,
    room: usize,
    state: Vec<(u32, u32, u32)>,
}

impl HomeRows {
    /// The rows of seed `seed` for the rooms `names` (at least one: `Living Room` when empty).
    pub(crate) fn new(seed: u64, mut names: Vec<String>) -> Self {
        if names.is_empty() {
            names.push(ROOMS[0].to_owned());
        }
        let mut rng = Rng::derive(seed, 0x686f_6d65);
        let state = names
            .iter()
            .map(|_| (200 + rng.below(30), 330 + rng.below(60), rng.below(3)))
            .collect();
        let rooms = names
            .into_iter()
            .map(|n| {
                let lp = format!("home,room={} ", escape_tag(&n)).into_bytes();
                (n, lp)
            })
            .collect();
        HomeRows {
            rng,
            rooms,
            round: 0,
            time: HOME_START,
            room: 0,
            state,
        }
    }

    /// Moves to the next room (and round) and walks its values; returns the room and them.
    fn advance(&mut self) -> (usize, (u32, u32, u32)) {
        if self.room == self.rooms.len() {
            self.room = 0;
            self.round += 1;
            self.time += 10;
        }
        let r = self.room;
        let (t, h, c) = self.state[r];
        let s = (
            walk(&mut self.rng, t, 2, 150, 300),
            walk(&mut self.rng, h, 3, 200, 800),
            walk(&mut self.rng, c, 1, 0, 25),
        );
        self.state[r] = s;
        self.room += 1;
        (r, s)
    }
}

/// A tag value escaped for line protocol (comma, equals sign, space).
fn escape_tag(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 2);
    for c in v.chars() {
        if matches!(c, ',' | '=' | ' ') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl Rows for HomeRows {
    fn csv_header(&self) -> &'static [u8] {
        HOME_HEADER
    }

    fn next_row(&mut self, format: Format, buf: &mut Vec<u8>) {
        let (r, s) = self.advance();
        let mut ib = itoa::Buffer::new();
        let room = self.rooms[r].0.as_bytes();
        // What precedes each of the five values, and what ends the row.
        let (before, end): ([&[u8]; 5], &[u8]) = match format {
            Format::Csv => ([b"", b",", b",", b",", b","], b""),
            Format::Ndjson => (
                [
                    b"{\"time\":",
                    b",\"room\":\"",
                    b"\",\"temp\":",
                    b",\"hum\":",
                    b",\"co\":",
                ],
                b"}",
            ),
        };
        buf.extend_from_slice(before[0]);
        buf.extend_from_slice(ib.format(self.time).as_bytes());
        buf.extend_from_slice(before[1]);
        buf.extend_from_slice(room);
        buf.extend_from_slice(before[2]);
        push_tenths(buf, s.0);
        buf.extend_from_slice(before[3]);
        push_tenths(buf, s.1);
        buf.extend_from_slice(before[4]);
        buf.extend_from_slice(ib.format(s.2).as_bytes());
        buf.extend_from_slice(end);
        buf.push(b'\n');
    }

    fn next_line(&mut self, clock: &Clocking, buf: &mut Vec<u8>) -> u64 {
        let (r, s) = self.advance();
        buf.extend_from_slice(&self.rooms[r].1);
        buf.extend_from_slice(b"temp=");
        push_tenths(buf, s.0);
        buf.extend_from_slice(b",hum=");
        push_tenths(buf, s.1);
        buf.extend_from_slice(b",co=");
        buf.extend_from_slice(itoa::Buffer::new().format(s.2).as_bytes());
        buf.push(b'i');
        push_timestamp(buf, clock, self.round);
        3
    }
}
