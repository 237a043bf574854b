//! Where a file reporter keeps each request's entry until the run ends: an anonymous temporary
//! file, written a megabyte at a time, so memory holds a few numbers per run of consecutive
//! entries rather than the entries (docs/reports.md#memory). Entries are stored as compact
//! JSON after their length, already redacted by the reporter that made them, so no secret
//! reaches the disk (docs/secrets.md). When no temporary file can be made, entries stay in
//! memory: a report is never lost for want of space in `$TMPDIR`.

use std::fs::File;
use std::io::Write as _;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Bytes kept in memory before they are appended to the file.
const BUFFER: usize = 1 << 20;
/// Bytes read from the file at once when entries are read back.
const WINDOW: usize = 64 * 1024;
/// The length before each entry: a little-endian `u32`.
const PREFIX: usize = 4;

/// Consecutive entries: `count` of them from `start`, the next one (if any) at `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Run {
    start: u64,
    end: u64,
    count: u32,
}

/// Runs of entries in the order they were pushed; an entry right after the last run's end
/// extends that run, so a collection whose requests arrive one after another (the usual
/// case, and every data row of one) costs one run however many requests it has.
#[derive(Debug, Clone, Default)]
pub(crate) struct Runs(Vec<Run>);

impl Runs {
    pub(crate) fn push(&mut self, start: u64, end: u64) {
        match self.0.last_mut() {
            Some(last) if last.end == start && last.count < u32::MAX => {
                last.end = end;
                last.count += 1;
            }
            _ => self.0.push(Run {
                start,
                end,
                count: 1,
            }),
        }
    }

    /// How many entries.
    pub(crate) fn len(&self) -> usize {
        self.0.iter().map(|r| r.count as usize).sum()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Entries of one reporter, appended in arrival order and read back by runs.
#[derive(Debug, Default)]
pub(crate) struct Spill {
    file: Option<File>,
    /// Bytes already in `file`.
    on_disk: u64,
    buffer: Vec<u8>,
    /// No temporary file could be made: everything stays in `buffer`.
    in_memory: bool,
}

impl Spill {
    /// Appends `item`; returns where it starts and where the next entry will.
    pub(crate) fn push(&mut self, item: &impl Serialize) -> std::io::Result<(u64, u64)> {
        let at = self.buffer.len();
        self.buffer.extend_from_slice(&[0; PREFIX]);
        let len = serde_json::to_writer(&mut self.buffer, item)
            .map_err(std::io::Error::from)
            .and_then(|()| {
                u32::try_from(self.buffer.len() - at - PREFIX)
                    .map_err(|_| std::io::Error::other("a report entry of 4 GiB or more"))
            });
        let len = match len {
            Ok(len) => len,
            Err(e) => {
                self.buffer.truncate(at);
                return Err(e);
            }
        };
        self.buffer[at..at + PREFIX].copy_from_slice(&len.to_le_bytes());
        let start = self.on_disk + at as u64;
        let end = self.on_disk + self.buffer.len() as u64;
        if self.buffer.len() >= BUFFER && !self.in_memory {
            self.flush()?;
        }
        Ok((start, end))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.file.is_none() {
            let Ok(file) = tempfile::tempfile() else {
                self.in_memory = true;
                return Ok(());
            };
            self.file = Some(file);
        }
        let Some(file) = self.file.as_mut() else {
            return Ok(());
        };
        file.write_all(&self.buffer)?;
        self.on_disk += self.buffer.len() as u64;
        self.buffer.clear();
        Ok(())
    }

    /// The entries of `runs`, in order, read back one at a time.
    pub(crate) fn read<'a, T: DeserializeOwned>(&'a self, runs: &'a Runs) -> Entries<'a, T> {
        Entries {
            spill: self,
            runs: runs.0.iter(),
            next: 0,
            left: 0,
            window: Window::default(),
            item: std::marker::PhantomData,
        }
    }

    /// The entry at `offset` and where the next one starts.
    fn entry<T: DeserializeOwned>(
        &self,
        offset: u64,
        window: &mut Window,
    ) -> std::io::Result<(T, u64)> {
        let prefix = self.bytes(offset, PREFIX, window)?;
        let len = u32::from_le_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize;
        let body = self.bytes(offset + PREFIX as u64, len, window)?;
        let item = serde_json::from_slice(body)?;
        Ok((item, offset + (PREFIX + len) as u64))
    }

    /// `len` bytes at `offset`, from the buffer or, through `window`, the file.
    fn bytes<'w>(
        &'w self,
        offset: u64,
        len: usize,
        window: &'w mut Window,
    ) -> std::io::Result<&'w [u8]> {
        if offset >= self.on_disk {
            let start = usize::try_from(offset - self.on_disk).map_err(std::io::Error::other)?;
            return self
                .buffer
                .get(start..start + len)
                .ok_or_else(|| std::io::ErrorKind::UnexpectedEof.into());
        }
        let file = self
            .file
            .as_ref()
            .ok_or_else(|| std::io::Error::other("a report entry was lost"))?;
        let covered = offset >= window.start
            && offset + len as u64 <= window.start + window.bytes.len() as u64;
        if !covered {
            let want = len.max(WINDOW) as u64;
            let size =
                usize::try_from(want.min(self.on_disk - offset)).map_err(std::io::Error::other)?;
            window.bytes.resize(size, 0);
            read_at(file, &mut window.bytes, offset)?;
            window.start = offset;
        }
        let start = usize::try_from(offset - window.start).map_err(std::io::Error::other)?;
        window
            .bytes
            .get(start..start + len)
            .ok_or_else(|| std::io::ErrorKind::UnexpectedEof.into())
    }
}

/// The entries of some runs, read back one at a time; after an error, nothing more.
#[derive(Debug)]
pub(crate) struct Entries<'a, T> {
    spill: &'a Spill,
    runs: std::slice::Iter<'a, Run>,
    /// Where the next entry of the current run starts, and how many are left in it.
    next: u64,
    left: u32,
    window: Window,
    item: std::marker::PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> Iterator for Entries<'_, T> {
    type Item = std::io::Result<T>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.left == 0 {
            let run = self.runs.next()?;
            (self.next, self.left) = (run.start, run.count);
        }
        self.left -= 1;
        match self.spill.entry(self.next, &mut self.window) {
            Ok((item, end)) => {
                self.next = end;
                Some(Ok(item))
            }
            Err(e) => {
                self.left = 0;
                self.runs = [].iter();
                Some(Err(e))
            }
        }
    }
}

/// The part of the file last read.
#[derive(Debug, Default)]
struct Window {
    start: u64,
    bytes: Vec<u8>,
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    // `seek_read` moves the file's cursor; appends write at the end whatever it is, since
    // the file is only read once the run has ended.
    while !buf.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_read(file, buf, offset)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf = &mut buf[n..];
        offset += n as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pushes `items` alternately to two lists of runs, as two collections running at once.
    fn interleaved(spill: &mut Spill, items: &[String]) -> (Runs, Runs) {
        let (mut a, mut b) = (Runs::default(), Runs::default());
        for (i, item) in items.iter().enumerate() {
            let (start, end) = spill.push(item).unwrap();
            if i % 3 == 2 { &mut b } else { &mut a }.push(start, end);
        }
        (a, b)
    }

    #[test]
    fn entries_read_back_in_order_from_the_file_and_the_buffer() {
        let mut spill = Spill::default();
        let items: Vec<String> = (0..40)
            .map(|i| format!("{i}:{}", "x".repeat(i * 7_000)))
            .collect();
        let (a, b) = interleaved(&mut spill, &items);
        assert!(
            spill.file.is_some() && spill.on_disk > 0,
            "nothing reached the file"
        );
        assert!(!spill.buffer.is_empty(), "the last entries stay buffered");
        let read = |runs: &Runs| -> Vec<String> {
            spill.read(runs).collect::<std::io::Result<_>>().unwrap()
        };
        let (want_a, want_b): (Vec<_>, Vec<_>) = items
            .iter()
            .cloned()
            .enumerate()
            .partition(|(i, _)| i % 3 != 2);
        assert_eq!(
            read(&a),
            want_a.into_iter().map(|(_, s)| s).collect::<Vec<_>>()
        );
        assert_eq!(
            read(&b),
            want_b.into_iter().map(|(_, s)| s).collect::<Vec<_>>()
        );
        // Memory holds at most a buffer's worth of entries.
        assert!(
            spill.buffer.capacity() < 3 * BUFFER,
            "{}",
            spill.buffer.capacity()
        );
    }

    #[test]
    fn consecutive_entries_are_one_run_however_many() {
        let mut spill = Spill::default();
        let mut runs = Runs::default();
        for i in 0..100_000u32 {
            let (start, end) = spill.push(&i).unwrap();
            runs.push(start, end);
        }
        assert_eq!(runs.0.len(), 1);
        assert_eq!(runs.len(), 100_000);
        let back: Vec<u32> = spill.read(&runs).collect::<std::io::Result<_>>().unwrap();
        assert_eq!(back, (0..100_000).collect::<Vec<_>>());
    }

    #[test]
    fn without_a_file_entries_stay_in_memory() {
        let mut spill = Spill {
            in_memory: true,
            ..Spill::default()
        };
        let items: Vec<String> = (0..10)
            .map(|i| format!("{i}{}", "y".repeat(300_000)))
            .collect();
        let (a, b) = interleaved(&mut spill, &items);
        assert!(spill.file.is_none());
        let mut back: Vec<String> = spill
            .read(&a)
            .chain(spill.read(&b))
            .map(Result::unwrap)
            .collect();
        back.sort();
        assert_eq!(back, items);
    }
}
