//! Our own evaluator for the most common non-singular queries — child and descendant segments
//! of name, index and wildcard selectors, such as the redactions `$..id` and `$..audit` or
//! `$['ia::result'][*].key` — which is exact (every one of these CTS cases passes through it)
//! and several times faster than the engine, which spells out the path of every node it
//! visits. Snapshot redactions and compare ignores run such queries over every response, whole
//! 5 MB documents included. Anything else (filters, slices) goes to the engine.
//!
//! Nodes visited are kept in an arena with a link to their parent, so a location is built only
//! for a node that is selected, and only when the caller asks for locations.

use jsonpath_rust::parser::model::{Segment, Selector};
use serde_json::Value;

use super::normalized::{NormalizedPath, PathElement};

/// A child selector this evaluator handles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Pick {
    Name(String),
    Index(i64),
    Wildcard,
}

/// One segment: its selectors in order, applied to the input nodes (`descendant: false`) or
/// to the input nodes and all their descendants (`descendant: true`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Step {
    descendant: bool,
    picks: Vec<Pick>,
}

/// The steps of a query made only of name, index and wildcard selectors; `None` otherwise.
pub(super) fn plan(segments: &[Segment]) -> Option<Vec<Step>> {
    fn picks(segment: &Segment) -> Option<Vec<Pick>> {
        match segment {
            Segment::Selector(selector) => Some(vec![pick(selector)?]),
            Segment::Selectors(selectors) => selectors.iter().map(pick).collect(),
            Segment::Descendant(_) => None,
        }
    }
    fn pick(selector: &Selector) -> Option<Pick> {
        match selector {
            Selector::Name(name) => Some(Pick::Name(name.clone())),
            Selector::Index(index) => Some(Pick::Index(*index)),
            Selector::Wildcard => Some(Pick::Wildcard),
            Selector::Slice(..) | Selector::Filter(_) => None,
        }
    }
    segments
        .iter()
        .map(|segment| match segment {
            Segment::Descendant(inner) => Some(Step {
                descendant: true,
                picks: picks(inner)?,
            }),
            other => Some(Step {
                descendant: false,
                picks: picks(other)?,
            }),
        })
        .collect()
}

/// A visited node: the value, its parent's arena index and the step from the parent.
struct Entry<'a> {
    value: &'a Value,
    parent: usize,
    element: Element<'a>,
}

#[derive(Clone, Copy)]
enum Element<'a> {
    Root,
    Name(&'a str),
    Index(usize),
}

/// The evaluation's arena and its result: arena indices of the selected nodes, in order.
pub(super) struct Evaluation<'a> {
    arena: Vec<Entry<'a>>,
    selected: Vec<usize>,
    /// The most nodes the arena may hold (the `budget` module).
    budget: usize,
    /// Set when a push found the arena full: the evaluation is abandoned.
    blown: bool,
}

impl<'a> Evaluation<'a> {
    pub(super) fn nodes(&self) -> Vec<&'a Value> {
        self.selected
            .iter()
            .map(|&index| self.arena[index].value)
            .collect()
    }

    pub(super) fn located(&self) -> Vec<(NormalizedPath, &'a Value)> {
        self.selected
            .iter()
            .map(|&index| (self.location(index), self.arena[index].value))
            .collect()
    }

    fn location(&self, mut index: usize) -> NormalizedPath {
        let mut elements = Vec::new();
        loop {
            let entry = &self.arena[index];
            match entry.element {
                Element::Root => break,
                Element::Name(name) => elements.push(PathElement::Name(name.to_owned())),
                Element::Index(at) => elements.push(PathElement::Index(at)),
            }
            index = entry.parent;
        }
        elements.reverse();
        NormalizedPath::from(elements)
    }

    fn push(&mut self, value: &'a Value, parent: usize, element: Element<'a>) -> usize {
        if self.arena.len() >= self.budget {
            self.blown = true;
            return 0;
        }
        self.arena.push(Entry {
            value,
            parent,
            element,
        });
        self.arena.len() - 1
    }

    /// Applies `pick` to the node at `index`, appending what it selects to `out`.
    fn apply(&mut self, index: usize, pick: &Pick, out: &mut Vec<usize>) {
        let node = self.arena[index].value;
        match (pick, node) {
            (Pick::Name(name), Value::Object(members)) => {
                if let Some((name, member)) = members.get_key_value(name.as_str()) {
                    out.push(self.push(member, index, Element::Name(name)));
                }
            }
            (Pick::Index(wanted), Value::Array(items)) => {
                let at = match usize::try_from(*wanted) {
                    Ok(at) => Some(at),
                    Err(_) => usize::try_from(wanted.unsigned_abs())
                        .ok()
                        .and_then(|back| items.len().checked_sub(back)),
                };
                if let Some((at, item)) = at.and_then(|at| Some((at, items.get(at)?))) {
                    out.push(self.push(item, index, Element::Index(at)));
                }
            }
            (Pick::Wildcard, Value::Object(members)) => {
                for (name, member) in members {
                    out.push(self.push(member, index, Element::Name(name)));
                }
            }
            (Pick::Wildcard, Value::Array(items)) => {
                for (at, item) in items.iter().enumerate() {
                    out.push(self.push(item, index, Element::Index(at)));
                }
            }
            _ => {}
        }
    }

    /// The node at `index` and all its descendants, in document order (a node before its
    /// children, children in order), without recursion.
    fn descendants_or_self(&mut self, index: usize) -> Vec<usize> {
        let mut order = Vec::new();
        let mut pending = vec![index];
        while let Some(at) = pending.pop() {
            if self.blown {
                break;
            }
            order.push(at);
            let start = pending.len();
            match self.arena[at].value {
                Value::Object(members) => {
                    for (name, member) in members {
                        let child = self.push(member, at, Element::Name(name));
                        pending.push(child);
                    }
                }
                Value::Array(items) => {
                    for (position, item) in items.iter().enumerate() {
                        let child = self.push(item, at, Element::Index(position));
                        pending.push(child);
                    }
                }
                _ => {}
            }
            // Pushed in order; reversed so that the first child is visited first.
            pending[start..].reverse();
        }
        order
    }
}

/// Runs the steps over `doc` (RFC 9535 §2.5: each segment applied to each input node in
/// order, each selector in order). `Err` when more than `budget` nodes would be visited.
pub(super) fn evaluate<'a>(
    steps: &[Step],
    doc: &'a Value,
    budget: usize,
) -> Result<Evaluation<'a>, ()> {
    let mut evaluation = Evaluation {
        arena: Vec::new(),
        selected: Vec::new(),
        budget: budget.max(1),
        blown: false,
    };
    let root = evaluation.push(doc, 0, Element::Root);
    let mut current = vec![root];
    for step in steps {
        let mut next = Vec::new();
        for &node in &current {
            let inputs = if step.descendant {
                evaluation.descendants_or_self(node)
            } else {
                vec![node]
            };
            for input in inputs {
                for pick in &step.picks {
                    evaluation.apply(input, pick, &mut next);
                    if evaluation.blown {
                        return Err(());
                    }
                }
            }
            if evaluation.blown {
                return Err(());
            }
        }
        current = next;
    }
    evaluation.selected = current;
    Ok(evaluation)
}

impl Pick {
    /// Whether this selector picks the child reached by `element`; `None` when that depends on
    /// the array's length (a negative index).
    fn matches(&self, element: &PathElement) -> Option<bool> {
        Some(match (self, element) {
            (Pick::Wildcard, _) => true,
            (Pick::Name(name), PathElement::Name(member)) => name == member,
            (Pick::Index(index), PathElement::Index(at)) => usize::try_from(*index).ok()? == *at,
            (Pick::Index(index), PathElement::Name(_)) => {
                usize::try_from(*index).ok()?;
                false
            }
            (Pick::Name(_), PathElement::Index(_)) => false,
        })
    }
}

/// Whether the steps select by location alone: a node at a given location is selected in every
/// document that has one there, or in none. True unless a negative index is involved.
pub(super) fn location_only(steps: &[Step]) -> bool {
    steps
        .iter()
        .flat_map(|step| &step.picks)
        .all(|pick| !matches!(pick, Pick::Index(index) if *index < 0))
}

/// Whether the steps select the node at `location` or one of its ancestors (for
/// [`location_only`] steps). A run of the query along one path: `states[j]` holds when the
/// first `j` steps can have selected the node reached so far.
pub(super) fn covers(steps: &[Step], location: &[PathElement]) -> bool {
    let done = steps.len();
    let mut states = vec![false; done + 1];
    states[0] = true;
    if states[done] {
        return true;
    }
    for element in location {
        let mut next = vec![false; done + 1];
        for (j, step) in steps.iter().enumerate() {
            if !states[j] {
                continue;
            }
            // A descendant segment may pass through this element on its way down.
            if step.descendant {
                next[j] = true;
            }
            if step
                .picks
                .iter()
                .any(|pick| pick.matches(element).unwrap_or(false))
            {
                next[j + 1] = true;
            }
        }
        if next[done] {
            return true;
        }
        states = next;
    }
    false
}
