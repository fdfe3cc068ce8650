//! `cagnotte-bench flame IN OUT.svg`: folds the stacks of `perf script` output and
//! draws them as a flame graph (root at the bottom, width = share of samples).

use crate::proto::Result;
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Default)]
struct Node {
    count: u64,
    kids: BTreeMap<String, Node>,
}

fn symbol(line: &str) -> Option<String> {
    // "\t    55d0c4a1b2c3 tokio::runtime::task::raw::poll+0x12 (/path/bin)"
    let l = line.trim();
    let (_, rest) = l.split_once(' ')?;
    let rest = rest.trim();
    let name = match rest.rfind(" (") {
        Some(i) => &rest[..i],
        None => rest,
    };
    let name = match name.rfind("+0x") {
        Some(i) => &name[..i],
        None => name,
    };
    Some(if name.is_empty() { "[unknown]".into() } else { name.to_string() })
}

fn fold(text: &str) -> Node {
    let mut root = Node::default();
    for block in text.split("\n\n") {
        let mut lines = block.lines().filter(|l| !l.trim().is_empty());
        let Some(head) = lines.next() else { continue };
        let comm = head.split_whitespace().next().unwrap_or("?").to_string();
        let mut stack: Vec<String> = lines.filter_map(symbol).collect();
        stack.push(comm);
        stack.reverse();
        let mut n = &mut root;
        n.count += 1;
        for f in stack {
            n = n.kids.entry(f).or_default();
            n.count += 1;
        }
    }
    root
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn color(name: &str) -> String {
    let h = name.bytes().fold(5381u32, |h, b| h.wrapping_mul(33) ^ b as u32);
    format!("rgb({},{},{})", 205 + h % 50, 80 + (h >> 8) % 130, 40 + (h >> 16) % 50)
}

#[allow(clippy::too_many_arguments)]
fn draw(out: &mut String, n: &Node, name: &str, x: f64, depth: usize, scale: f64, total: u64, height: f64) {
    let w = n.count as f64 * scale;
    if w < 0.3 {
        return;
    }
    let y = height - 16.0 * (depth as f64 + 1.0) - 10.0;
    let pct = 100.0 * n.count as f64 / total as f64;
    let label: String = if w > 40.0 {
        let max = ((w - 6.0) / 6.5) as usize;
        let mut t: String = name.chars().take(max).collect();
        if name.chars().count() > max {
            t.push_str("..");
        }
        esc(&t)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "<g><title>{} ({} samples, {pct:.2}%)</title><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"15\" fill=\"{}\" rx=\"2\"/><text x=\"{:.1}\" y=\"{:.1}\">{label}</text></g>",
        esc(name),
        n.count,
        color(name),
        x + 3.0,
        y + 11.0
    );
    let mut cx = x;
    for (k, c) in &n.kids {
        draw(out, c, k, cx, depth + 1, scale, total, height);
        cx += c.count as f64 * scale;
    }
}

fn depth(n: &Node) -> usize {
    1 + n.kids.values().map(depth).max().unwrap_or(0)
}

pub fn main(args: &[String]) -> Result<()> {
    let [input, output] = args else {
        return Err("usage: cagnotte-bench flame PERF_SCRIPT_OUTPUT OUT.svg".into());
    };
    let text = std::fs::read_to_string(input)?;
    let root = fold(&text);
    if root.count == 0 {
        return Err("no samples in the perf script output".into());
    }
    let width = 1400.0;
    let height = 16.0 * depth(&root).min(80) as f64 + 40.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"monospace\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n<text x=\"10\" y=\"14\">{} samples; hover for names</text>\n",
        root.count
    );
    let scale = (width - 20.0) / root.count as f64;
    let mut x = 10.0;
    for (k, c) in &root.kids {
        draw(&mut s, c, k, x, 0, scale, root.count, height);
        x += c.count as f64 * scale;
    }
    s.push_str("</svg>\n");
    std::fs::write(output, s)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_perf_script_blocks() {
        let text =
            "srv 1 2: cycles:\n\t 1 leaf+0x1 (/bin)\n\t 2 main+0x2 (/bin)\n\nsrv 1 3: cycles:\n\t 3 main+0x3 (/bin)\n";
        let root = fold(text);
        assert_eq!(root.count, 2);
        let srv = &root.kids["srv"];
        assert_eq!(srv.kids["main"].count, 2);
        assert_eq!(srv.kids["main"].kids["leaf"].count, 1);
    }
}
