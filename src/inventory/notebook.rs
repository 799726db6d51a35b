//! Jupyter notebooks (`.ipynb`): the code cells, read as one Python program in cell order
//! (a later cell uses an earlier cell's imports, as the kernel does), with IPython magics
//! blanked and shell escapes (`!huggingface-cli download ...`, `%%bash` cells) read as
//! shell. Lines are reported as a cell and a line in it.

use serde_json::Value;

/// A notebook's code, split for the Python and shell readers.
#[derive(Default)]
pub(crate) struct Notebook {
    pub python: String,
    /// For each line of `python`: the 1-based cell and line in the cell.
    pub python_lines: Vec<(u32, u32)>,
    pub shell: String,
    pub shell_lines: Vec<(u32, u32)>,
}

/// Most cells read.
const MAX_CELLS: usize = 10_000;

fn source_text(cell: &Value) -> String {
    match cell.get("source") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts.iter().filter_map(Value::as_str).collect(),
        _ => String::new(),
    }
}

pub(crate) fn split(bytes: &[u8]) -> Result<Notebook, String> {
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not a notebook (JSON: {e})"))?;
    let cells = doc
        .get("cells")
        .and_then(Value::as_array)
        .ok_or("not a notebook: no cells")?;
    let mut out = Notebook::default();
    for (i, cell) in cells.iter().take(MAX_CELLS).enumerate() {
        if cell.get("cell_type").and_then(Value::as_str) != Some("code") {
            continue;
        }
        let cell_no = i as u32 + 1;
        let text = source_text(cell);
        let shell_cell =
            text.trim_start().starts_with("%%bash") || text.trim_start().starts_with("%%sh");
        for (j, line) in text.lines().enumerate() {
            let at = (cell_no, j as u32 + 1);
            let trimmed = line.trim_start();
            if shell_cell {
                out.shell.push_str(line);
                out.shell.push('\n');
                out.shell_lines.push(at);
                out.python.push('\n');
            } else if let Some(command) = trimmed.strip_prefix('!') {
                out.shell.push_str(command);
                out.shell.push('\n');
                out.shell_lines.push(at);
                out.python.push('\n');
            } else if trimmed.starts_with('%') {
                out.python.push('\n');
            } else {
                out.python.push_str(line);
                out.python.push('\n');
            }
            out.python_lines.push(at);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_magics_and_shell_escapes() {
        let nb = br#"{"cells": [
            {"cell_type": "markdown", "source": ["uses org/x\n"]},
            {"cell_type": "code", "source": ["%pip install transformers\n", "from transformers import AutoModel\n"]},
            {"cell_type": "code", "source": "!hf download org/y\nm = AutoModel.from_pretrained('org/z')"},
            {"cell_type": "code", "source": ["%%bash\n", "ollama pull llama3\n"]}
        ]}"#;
        let n = split(nb).unwrap();
        assert_eq!(
            n.python.lines().nth(1),
            Some("from transformers import AutoModel")
        );
        assert_eq!(n.python_lines[3], (3, 2));
        assert_eq!(n.shell.lines().next(), Some("hf download org/y"));
        assert_eq!(n.shell_lines, [(3, 1), (4, 1), (4, 2)]);
        assert!(split(b"[]").is_err());
    }
}
