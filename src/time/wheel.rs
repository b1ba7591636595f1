//! A hierarchical hashed timer wheel: the data structure behind `time::sleep`.
//!
//! Pure bookkeeping — no I/O, no threads, no unsafe. Each worker thread owns
//! one [`Wheel`]; the time driver converts `Instant`s to ticks (1 tick = 1 ms),
//! asks [`Wheel::next_expiration`] how long it may park, and calls
//! [`Wheel::advance`] after waking.
//!
//! # Layout
//!
//! Like tokio's wheel: six levels of 64 slots. A slot of level `k` spans
//! `64^k` ticks, so level 0 has 1 ms slots and the whole wheel spans
//! `64^6 = 2^36` ms (about 2.2 years), called one *rotation*. A timer due at
//! `when` sits at the level of the highest base-64 digit in which `when` and
//! the current tick differ, in the slot named by that digit of `when`. As the
//! clock reaches a slot's start, the slot's timers are either fired or re-filed
//! ("cascaded") into a lower level, so each timer moves at most six times.
//!
//! Timers live in a [`Slab`] and every slot is an intrusive doubly linked list
//! threaded through the slab by index, so insert and remove are O(1) and freed
//! entries are reused. A 64-bit occupancy bitmap per level lets
//! `next_expiration` and `advance` skip empty slots with a couple of bit
//! operations, however far the clock jumps.
//!
//! Two extra lists complete the picture: *pending*, for timers inserted at or
//! before the current tick (due on the next `advance`), and *overflow*, for
//! timers beyond the current rotation, re-filed once the clock enters a later
//! rotation.

use std::fmt;

use slab::Slab;

/// Bits of the tick consumed by one level: 64 slots per level.
const SLOT_BITS: u32 = 6;
/// Slots per level.
const SLOTS: usize = 1 << SLOT_BITS;
/// Number of levels.
const LEVELS: usize = 6;
/// Ticks spanned by the whole wheel (`64^6`); rotations are aligned to this.
const ROTATION: u64 = 1 << (SLOT_BITS * LEVELS as u32);
/// List id of timers already due (inserted at or before the current tick).
const PENDING: usize = LEVELS * SLOTS;
/// List id of timers due in a later rotation than the current tick's.
const OVERFLOW: usize = PENDING + 1;
/// Number of lists: one per slot, then `PENDING` and `OVERFLOW`.
const LISTS: usize = OVERFLOW + 1;
/// "No entry" in the intrusive links.
const NIL: usize = usize::MAX;

/// Opaque handle to an inserted timer; carries a generation so a stale key
/// never removes a newer entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimerKey {
    /// Slab index of the entry.
    index: usize,
    /// Generation the entry was given on insert; unique per wheel.
    generation: u64,
}

/// One timer: its deadline, its links, and the caller's value.
struct Entry<T> {
    /// Tick at which the timer is due.
    when: u64,
    /// Matches the `TimerKey` handed out for this entry.
    generation: u64,
    /// Previous entry in the same list, or `NIL`.
    prev: usize,
    /// Next entry in the same list, or `NIL`.
    next: usize,
    /// Id of the list holding the entry (`level * SLOTS + slot`, `PENDING` or `OVERFLOW`).
    list: usize,
    /// The caller's payload, handed to `fire` or returned by `remove`.
    value: T,
}

/// A hierarchical timer wheel holding values of type `T` (typically wakers).
///
/// Invariants, with `now` the current tick:
/// - a timer in level `k` has `when > now`, agrees with `now` in every
///   base-64 digit above `k`, and its digit `k` is larger than `now`'s; so
///   every occupied slot starts after `now`, and every timer in a lower level
///   is due before every timer in a higher one;
/// - a timer in `PENDING` has `when <= now`;
/// - a timer in `OVERFLOW` has `when` in a later rotation than `now`.
pub(crate) struct Wheel<T> {
    /// Storage for every timer in the wheel.
    entries: Slab<Entry<T>>,
    /// Head of each list (indexed by list id), or `NIL` when empty.
    heads: Box<[usize; LISTS]>,
    /// Bit `s` of `occupied[k]` is set iff slot `s` of level `k` is non-empty.
    occupied: [u64; LEVELS],
    /// The current tick: everything due at or before it has fired.
    now: u64,
    /// Generation given to the next inserted timer.
    next_generation: u64,
}

impl<T> Wheel<T> {
    /// An empty wheel whose clock starts at tick 0 (one tick = 1 ms; the
    /// caller converts `Instant`s).
    pub(crate) fn new() -> Self {
        Wheel { entries: Slab::new(), heads: Box::new([NIL; LISTS]), occupied: [0; LEVELS], now: 0, next_generation: 0 }
    }

    /// Inserts `value` to fire at tick `when`. A `when` at or before the
    /// wheel's current tick fires on the next `advance` (any `advance` whose
    /// `now` is not behind the current tick).
    pub(crate) fn insert(&mut self, when: u64, value: T) -> TimerKey {
        let generation = self.next_generation;
        self.next_generation += 1;
        let index = self.entries.insert(Entry { when, generation, prev: NIL, next: NIL, list: NIL, value });
        self.push(index, list_for(self.now, when));
        TimerKey { index, generation }
    }

    /// Removes a timer that has not fired; `None` if it already fired or was
    /// removed (stale key), in which case nothing changes.
    pub(crate) fn remove(&mut self, key: TimerKey) -> Option<T> {
        if self.entries.get(key.index)?.generation != key.generation {
            return None;
        }
        self.unlink(key.index);
        Some(self.entries.remove(key.index).value)
    }

    /// The tick the caller should next `advance` to, or `None` when empty.
    ///
    /// Let `now` be the current tick and `t` the earliest deadline in the wheel:
    /// - if `t <= now` (a timer was inserted in the past), returns `now`;
    /// - otherwise let `k` be the highest base-64 digit in which `t` and `now`
    ///   differ. For `k < 6` it returns `t` with its `k` lowest base-64 digits
    ///   zeroed: the start of the level-`k` slot holding `t`. So the result is
    ///   exact when `t` is in the same 64 ms block as `now`, and otherwise
    ///   `t - 64^k < result <= t`;
    /// - for `k >= 6` (`t` is more than a rotation, ~2.2 years, away) it
    ///   returns the first tick of the next rotation, a lower bound of `t`.
    ///
    /// The result is always `<= t` and, unless `t <= now`, `> now`. Advancing
    /// to it fires or cascades timers, after which the next answer is tighter;
    /// a driver that parks until the answer and advances reaches `t` after at
    /// most six such rounds (a few more for the rare beyond-rotation timer).
    pub(crate) fn next_expiration(&self) -> Option<u64> {
        if self.heads[PENDING] != NIL {
            return Some(self.now);
        }
        if let Some((_, start)) = self.next_slot() {
            return Some(start);
        }
        // A non-empty OVERFLOW implies `now` is not in the last rotation, so no overflow here.
        (self.heads[OVERFLOW] != NIL).then(|| (self.now | (ROTATION - 1)) + 1)
    }

    /// Moves the clock to `now` and calls `fire` for every timer with
    /// `when <= now`, in no particular order; no timer fires before its
    /// `when`. The clock is monotonic: a `now` behind the current tick is a
    /// no-op. Cost is proportional to the timers fired or cascaded plus the
    /// occupied slots visited, never to the number of ticks skipped.
    ///
    /// If `fire` panics, the wheel stays consistent: the timer being fired is
    /// gone and every other timer still fires on a later `advance`.
    pub(crate) fn advance(&mut self, now: u64, mut fire: impl FnMut(T)) {
        if now < self.now {
            return;
        }
        self.drain(PENDING, now, &mut fire);
        loop {
            match self.next_slot() {
                Some((list, start)) if start <= now => {
                    // Moving the clock to the slot's start keeps the invariants for
                    // every other timer: all of them are due at or after `start`.
                    self.now = start;
                    self.drain(list, now, &mut fire);
                }
                Some(_) => break,
                None => {
                    // Every level is empty. If `now` is in a later rotation, the
                    // overflow timers can be re-filed relative to it.
                    if (now ^ self.now) >= ROTATION {
                        self.now = now;
                        self.drain(OVERFLOW, now, &mut fire);
                    }
                    break;
                }
            }
        }
        self.now = now;
    }

    /// Number of timers in the wheel (not yet fired or removed).
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the wheel holds no timers.
    #[allow(dead_code)] // kept beside `len`; the tests use it
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The earliest occupied slot of the lowest non-empty level, as
    /// `(list id, first tick of the slot)`.
    fn next_slot(&self) -> Option<(usize, u64)> {
        let level = self.occupied.iter().position(|&bits| bits != 0)?;
        // By the invariant every occupied slot is after `now`'s slot, so the
        // lowest set bit is the earliest slot; no wrap-around to consider.
        let slot = self.occupied[level].trailing_zeros();
        let shift = level as u32 * SLOT_BITS;
        let level_start = self.now & !((1u64 << (shift + SLOT_BITS)) - 1);
        let start = level_start + (u64::from(slot) << shift);
        // `>` except after a panicking `fire` left a slot half drained at `now`.
        debug_assert!(start >= self.now);
        Some((level * SLOTS + slot as usize, start))
    }

    /// Visits every entry of list `list` once: fires those due by `now` and
    /// re-files the rest relative to the current tick (an `OVERFLOW` timer may
    /// go back to `OVERFLOW`, ahead of the cursor, so it is not revisited).
    /// Each entry is unlinked before it is handled, so a panicking `fire`
    /// leaves every link valid.
    fn drain(&mut self, list: usize, now: u64, fire: &mut impl FnMut(T)) {
        let mut index = self.heads[list];
        while index != NIL {
            let Entry { when, next, .. } = self.entries[index];
            self.unlink(index);
            if when <= now {
                fire(self.entries.remove(index).value);
            } else {
                self.push(index, list_for(self.now, when));
            }
            index = next;
        }
    }

    /// Links entry `index` at the head of list `list`.
    fn push(&mut self, index: usize, list: usize) {
        let head = self.heads[list];
        let entry = &mut self.entries[index];
        entry.prev = NIL;
        entry.next = head;
        entry.list = list;
        if head != NIL {
            self.entries[head].prev = index;
        }
        self.heads[list] = index;
        if list < PENDING {
            self.occupied[list / SLOTS] |= 1 << (list % SLOTS);
        }
    }

    /// Unlinks entry `index` from its list, leaving it in the slab.
    fn unlink(&mut self, index: usize) {
        let Entry { prev, next, list, .. } = self.entries[index];
        if next != NIL {
            self.entries[next].prev = prev;
        }
        if prev != NIL {
            self.entries[prev].next = next;
        } else {
            self.heads[list] = next;
            if next == NIL && list < PENDING {
                self.occupied[list / SLOTS] &= !(1 << (list % SLOTS));
            }
        }
    }
}

impl<T> fmt::Debug for Wheel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wheel").field("now", &self.now).field("len", &self.entries.len()).finish_non_exhaustive()
    }
}

/// The list a timer due at `when` belongs in while the clock reads `now`.
fn list_for(now: u64, when: u64) -> usize {
    if when <= now {
        return PENDING;
    }
    let diff = now ^ when;
    if diff >= ROTATION {
        return OVERFLOW;
    }
    // Highest differing bit (at least bit 5, so timers within 64 ticks land in level 0).
    let high_bit = 63 - (diff | (SLOTS as u64 - 1)).leading_zeros();
    let level = (high_bit / SLOT_BITS) as usize;
    let slot = (when >> (level as u32 * SLOT_BITS)) as usize & (SLOTS - 1);
    level * SLOTS + slot
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    /// Advances `wheel` to `now` and returns the fired values, sorted.
    fn fired<T: Ord>(wheel: &mut Wheel<T>, now: u64) -> Vec<T> {
        let mut out = Vec::new();
        wheel.advance(now, |v| out.push(v));
        out.sort();
        out
    }

    #[test]
    fn fires_at_exact_tick_not_before() {
        let mut wheel = Wheel::new();
        wheel.insert(10, "a");
        assert_eq!(wheel.next_expiration(), Some(10));
        assert!(fired(&mut wheel, 9).is_empty());
        assert_eq!(fired(&mut wheel, 10), vec!["a"]);
        assert!(wheel.is_empty());
        assert_eq!(wheel.next_expiration(), None);
    }

    #[test]
    fn every_tick_of_a_level_boundary_fires_exactly_then() {
        let mut wheel = Wheel::new();
        for when in 1..=200u64 {
            wheel.insert(when, when);
        }
        for now in 1..=200u64 {
            assert_eq!(fired(&mut wheel, now), vec![now]);
        }
        assert!(wheel.is_empty());
    }

    #[test]
    fn remove_before_fire() {
        let mut wheel = Wheel::new();
        let a = wheel.insert(5, 'a');
        let b = wheel.insert(5, 'b');
        assert_eq!(wheel.len(), 2);
        assert_eq!(wheel.remove(a), Some('a'));
        assert_eq!(wheel.remove(a), None);
        assert_eq!(wheel.len(), 1);
        assert_eq!(fired(&mut wheel, 100), vec!['b']);
        assert_eq!(wheel.remove(b), None);
    }

    #[test]
    fn stale_key_does_not_remove_reused_slot() {
        let mut wheel = Wheel::new();
        let old = wheel.insert(3, 1);
        assert_eq!(fired(&mut wheel, 3), vec![1]);
        let new = wheel.insert(10, 2);
        assert_eq!(old.index, new.index, "slab should reuse the freed entry");
        assert_eq!(wheel.remove(old), None);
        assert_eq!(wheel.len(), 1);
        assert_eq!(fired(&mut wheel, 10), vec![2]);

        // Same for a key whose timer was removed rather than fired.
        let old = wheel.insert(20, 3);
        assert_eq!(wheel.remove(old), Some(3));
        let new = wheel.insert(20, 4);
        assert_eq!(wheel.remove(old), None);
        assert_eq!(wheel.remove(new), Some(4));
    }

    #[test]
    fn past_deadline_fires_on_next_advance() {
        let mut wheel = Wheel::new();
        wheel.advance(1_000, |_: u32| unreachable!());
        wheel.insert(500, 1);
        wheel.insert(1_000, 2);
        assert_eq!(wheel.next_expiration(), Some(1_000));
        assert!(fired(&mut wheel, 999).is_empty(), "a clock going backwards is a no-op");
        assert_eq!(fired(&mut wheel, 1_000), vec![1, 2]);
    }

    #[test]
    fn far_future_timers_cascade_to_exact_tick() {
        let whens = [
            64,
            65,
            4_095,
            4_096,
            262_143,
            262_145,
            1_000_000_007,
            (1 << 30) + 1,
            ROTATION - 1,
            ROTATION,
            ROTATION + 7,
            (1 << 40) + 3,
            u64::MAX,
        ];
        let mut wheel = Wheel::new();
        for &when in &whens {
            wheel.insert(when, when);
        }
        for &when in &whens {
            // Jump to one tick before (possibly across many levels), then step onto it.
            assert!(fired(&mut wheel, when - 1).is_empty(), "fired before {when}");
            assert_eq!(wheel.len() as u64, whens.iter().filter(|&&w| w >= when).count() as u64);
            assert_eq!(fired(&mut wheel, when), vec![when]);
        }
        assert!(wheel.is_empty());
    }

    #[test]
    fn overflow_refiled_when_clock_lands_exactly_on_rotation_start() {
        let mut wheel = Wheel::new();
        wheel.insert(ROTATION + 5, ());
        wheel.advance(ROTATION, |()| panic!("nothing is due"));
        assert_eq!(wheel.next_expiration(), Some(ROTATION + 5));
        assert_eq!(fired(&mut wheel, ROTATION + 5), vec![()]);
    }

    #[test]
    fn next_expiration_across_levels() {
        let mut wheel = Wheel::new();
        wheel.advance(100, |_: ()| ());
        let far = wheel.insert(100 + (5 << 30) + 12_345, ());
        // Level 5: slot start of 5 * 2^30 (+ 100's level-5 digit, which is 0).
        assert_eq!(wheel.next_expiration(), Some(5 << 30));
        let mid = wheel.insert(70_000, ());
        // 70_000 differs from 100 first at digit 2 (4096 ms slots): 17 * 4096.
        assert_eq!(wheel.next_expiration(), Some(69_632));
        wheel.insert(120, ());
        // Same 64 ms block? 100 = 1*64+36, 120 = 1*64+56: level 0, exact.
        assert_eq!(wheel.next_expiration(), Some(120));
        assert_eq!(wheel.len(), 3);
        wheel.advance(120, |()| ());
        assert_eq!(wheel.next_expiration(), Some(69_632));
        // Advancing to the slot start cascades without firing, then the answer is exact.
        wheel.advance(69_632, |()| panic!("nothing is due"));
        assert_eq!(wheel.next_expiration(), Some(69_952));
        wheel.advance(69_952, |()| panic!("nothing is due"));
        assert_eq!(wheel.next_expiration(), Some(70_000));
        assert_eq!(wheel.remove(mid), Some(()));
        assert_eq!(wheel.next_expiration(), Some(5 << 30));
        assert_eq!(wheel.remove(far), Some(()));
        assert_eq!(wheel.next_expiration(), None);

        // Beyond the rotation: the start of the next rotation.
        wheel.insert(3 * ROTATION + 5, ());
        assert_eq!(wheel.next_expiration(), Some(ROTATION));
        wheel.advance(ROTATION, |()| panic!("nothing is due"));
        assert_eq!(wheel.next_expiration(), Some(2 * ROTATION));
        wheel.advance(2 * ROTATION + 1, |()| panic!("nothing is due"));
        assert_eq!(wheel.next_expiration(), Some(3 * ROTATION));
        wheel.advance(3 * ROTATION, |()| panic!("nothing is due"));
        assert_eq!(wheel.next_expiration(), Some(3 * ROTATION + 5));
    }

    #[test]
    fn many_timers_with_removals_and_jumps() {
        const N: u64 = 100_000;
        let mut wheel = Wheel::new();
        // A cheap deterministic spread of deadlines over ~3 hours.
        let when_of = |i: u64| i.wrapping_mul(2_654_435_761) % 10_000_000;
        let keys: Vec<_> = (0..N).map(|i| wheel.insert(when_of(i), i)).collect();
        for (i, key) in keys.iter().enumerate().step_by(3) {
            assert_eq!(wheel.remove(*key), Some(i as u64));
        }
        let mut count = 0;
        let mut now = 0;
        while now < 10_000_000 {
            now += 7_919;
            wheel.advance(now, |i| {
                assert!(i % 3 != 0, "removed timer {i} fired");
                assert!(when_of(i) <= now && when_of(i) + 7_919 > now, "timer {i} fired late or early");
                count += 1;
            });
        }
        assert_eq!(count, N - N.div_ceil(3));
        assert!(wheel.is_empty());
        // Freed entries are reused rather than growing the slab.
        let capacity = wheel.entries.capacity();
        for i in 0..N {
            wheel.insert(now + 1 + i, i);
        }
        assert_eq!(wheel.entries.capacity(), capacity);
        let mut count = 0;
        wheel.advance(u64::MAX, |_| count += 1);
        assert_eq!(count, N);
    }

    #[test]
    fn panicking_fire_leaves_wheel_consistent() {
        let mut wheel = Wheel::new();
        for when in [70, 70, 70, 80] {
            wheel.insert(when, when);
        }
        let mut first = None;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            wheel.advance(100, |v| {
                first = Some(v);
                panic!("boom");
            });
        }));
        assert!(result.is_err());
        assert_eq!(wheel.len(), 3);
        let mut all = fired(&mut wheel, 100);
        all.extend(first);
        all.sort();
        assert_eq!(all, vec![70, 70, 70, 80]);
        assert!(wheel.is_empty());
    }

    /// One step of the property test.
    #[derive(Clone, Debug)]
    enum Op {
        /// Insert a timer `delta` ticks after (or, if `past`, before) the clock.
        Insert { past: bool, delta: u64 },
        /// Remove the `n`th key ever handed out (modulo their count).
        Remove(usize),
        /// Advance the clock by `delta`.
        Advance(u64),
        /// Call `advance` with a time `delta` behind the clock.
        Rewind(u64),
        /// Advance the clock to the next multiple of `64^k`: where cascades happen.
        AdvanceToBoundary(u32),
        /// Insert a timer `offset` ticks after the next multiple of `64^k`.
        InsertNearBoundary(u32, u64),
    }

    fn delta() -> impl Strategy<Value = u64> {
        prop_oneof![
            8 => 0u64..70,
            6 => 0u64..5_000,
            4 => 0u64..300_000,
            2 => 0u64..(1 << 31),
            2 => 0u64..(1 << 38),
            1 => 0u64..(1 << 42),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (any::<bool>(), delta()).prop_map(|(past, delta)| Op::Insert { past: past && delta < 5_000, delta }),
            1 => Just(Op::Insert { past: false, delta: u64::MAX }),
            3 => any::<usize>().prop_map(Op::Remove),
            5 => delta().prop_map(Op::Advance),
            1 => (0u64..100).prop_map(Op::Rewind),
            2 => (1u32..=7).prop_map(Op::AdvanceToBoundary),
            2 => (1u32..=7, 0u64..3).prop_map(|(k, offset)| Op::InsertNearBoundary(k, offset)),
        ]
    }

    /// The documented `next_expiration` for earliest deadline `t` at clock `now`.
    fn expected_next(now: u64, t: u64) -> u64 {
        if t <= now {
            return now;
        }
        // Highest base-64 digit in which they differ.
        let k = (0..=10).rev().find(|d| (now >> (6 * d)) != (t >> (6 * d))).unwrap();
        if k >= 6 {
            (now / ROTATION + 1) * ROTATION
        } else {
            t / 64u64.pow(k) * 64u64.pow(k)
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn matches_btreemap_model(ops in prop::collection::vec(op(), 1..200)) {
            let mut wheel = Wheel::new();
            let mut now = 0u64;
            let mut keys: Vec<TimerKey> = Vec::new();
            // id -> when, for timers neither fired nor removed.
            let mut live: BTreeMap<usize, u64> = BTreeMap::new();
            let boundary = |now: u64, k: u32| (now / 64u64.pow(k)).saturating_add(1).saturating_mul(64u64.pow(k));
            for op in ops {
                let insert_at = match op {
                    Op::Insert { past, delta } if past => Some(now.saturating_sub(delta)),
                    Op::Insert { delta, .. } => Some(now.saturating_add(delta)),
                    Op::InsertNearBoundary(k, offset) => Some(boundary(now, k).saturating_add(offset)),
                    _ => None,
                };
                let advance_to = match op {
                    Op::Advance(delta) => Some(now.saturating_add(delta)),
                    Op::AdvanceToBoundary(k) => Some(boundary(now, k)),
                    _ => None,
                };
                match op {
                    Op::Insert { .. } | Op::InsertNearBoundary(..) => {
                        live.insert(keys.len(), insert_at.unwrap());
                        keys.push(wheel.insert(insert_at.unwrap(), keys.len()));
                    }
                    Op::Remove(n) if !keys.is_empty() => {
                        let id = n % keys.len();
                        let expected = live.remove(&id).map(|_| id);
                        prop_assert_eq!(wheel.remove(keys[id]), expected);
                    }
                    Op::Remove(_) => {}
                    Op::Advance(_) | Op::AdvanceToBoundary(_) => {
                        now = advance_to.unwrap();
                        let got = fired(&mut wheel, now);
                        let due: Vec<usize> = live.iter().filter(|(_, &w)| w <= now).map(|(&id, _)| id).collect();
                        prop_assert_eq!(&got, &due, "at {}", now);
                        for id in due {
                            live.remove(&id);
                        }
                    }
                    Op::Rewind(delta) if now > 0 => {
                        prop_assert!(fired(&mut wheel, now.saturating_sub(delta + 1)).is_empty());
                    }
                    Op::Rewind(_) => {}
                }
                prop_assert_eq!(wheel.len(), live.len());
                prop_assert_eq!(wheel.is_empty(), live.is_empty());
                let earliest = live.values().min().copied();
                prop_assert_eq!(wheel.next_expiration(), earliest.map(|t| expected_next(now, t)));
            }
            // Everything left fires exactly once at the end of time.
            let got = fired(&mut wheel, u64::MAX);
            prop_assert_eq!(got, live.keys().copied().collect::<Vec<_>>());
            prop_assert!(wheel.is_empty());
        }
    }
}
