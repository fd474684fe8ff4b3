//! Files people upload as tables: CSV in UTF-8 (with or without BOM) or GBK, and Excel
//! workbooks (XLSX; the first worksheet). Every reader of such files takes its text from here,
//! so an import accepts all three the same way and reports rows by the line (or sheet row)
//! people see.

use crate::error::RowError;
use calamine::{DataRef, Reader};
use std::io::Read;
use tandem_domain::Lang;

/// What one uploaded table may hold. A workbook is a zip archive: 1.6 MB of it can inflate to
/// gigabytes, so every entry is measured while it is inflated (the sizes its headers declare
/// may lie) and the read stops at the first limit it passes.
pub mod limits {
    /// Entries in a workbook's archive.
    pub const ZIP_ENTRIES: usize = 1_000;
    /// Inflated bytes of one archive entry (a sheet, the shared strings).
    pub const ZIP_ENTRY_BYTES: u64 = 16 << 20;
    /// Inflated bytes of the whole archive.
    pub const ZIP_TOTAL_BYTES: u64 = 48 << 20;
    /// Rows of a table, the header included.
    pub const ROWS: usize = 100_001;
    /// Columns of a table.
    pub const COLUMNS: usize = 256;
    /// Characters of one cell (and so of one CSV field).
    pub const CELL_CHARS: usize = 32 * 1024;
    /// Bytes of all cell text of a table.
    pub const TEXT_BYTES: usize = 16 << 20;
}

/// How a file was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Gbk,
    Xlsx,
}

/// The file as CSV text (an Excel workbook's first sheet turned into CSV), or why it cannot be
/// read (reported as row 1).
pub fn table_text(bytes: &[u8], lang: Lang) -> Result<(String, Encoding), RowError> {
    let refuse = |zh: &str, en: &str| RowError { row: 1, column: String::new(), reason: lang.pick(zh, en).into() };
    if bytes.starts_with(b"PK\x03\x04") {
        return xlsx_to_csv(bytes).map(|t| (t, Encoding::Xlsx)).map_err(|e| match e {
            SheetError::TooBig(what) => too_big(what, lang),
            SheetError::Unreadable(_) => refuse(
                "无法读取这个 Excel 文件（需要 .xlsx，且第一个工作表有表头）",
                "Cannot read this Excel file (an .xlsx whose first sheet has a header)",
            ),
        });
    }
    match std::str::from_utf8(bytes) {
        Ok(t) => Ok((t.trim_start_matches('\u{feff}').to_string(), Encoding::Utf8)),
        Err(_) => {
            let (t, _, bad) = encoding_rs::GBK.decode(bytes);
            if bad {
                return Err(refuse(
                    "文件既不是 UTF-8、GBK 编码的 CSV，也不是 Excel 文件",
                    "The file is neither a UTF-8 or GBK CSV nor an Excel file",
                ));
            }
            Ok((t.into_owned(), Encoding::Gbk))
        }
    }
}

/// A file read as a table: header names (lowercased), every row that is not blank with its line
/// (the header is line 1), and the rows that could not be read.
#[derive(Debug)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<(usize, csv::StringRecord)>,
    pub unreadable: Vec<RowError>,
    pub encoding: Encoding,
}

impl Table {
    /// The column whose header is one of `names`.
    pub fn col(&self, names: &[&str]) -> Option<usize> {
        self.headers.iter().position(|h| names.contains(&h.as_str()))
    }
}

/// [`read_table`] off the async workers (see [`crate::cpu`]).
pub async fn read_table_off(bytes: &[u8], lang: Lang) -> crate::error::Result<Table> {
    let bytes = bytes.to_vec();
    crate::cpu::run(move || read_table(&bytes, lang)).await?.map_err(|e| crate::AppError::ImportRejected(vec![e]))
}

/// [`table_text`] off the async workers (see [`crate::cpu`]).
pub async fn table_text_off(bytes: &[u8], lang: Lang) -> crate::error::Result<Result<(String, Encoding), RowError>> {
    let bytes = bytes.to_vec();
    crate::cpu::run(move || table_text(&bytes, lang)).await
}

/// Reads a CSV or Excel file into a `Table` (see `table_text`).
pub fn read_table(bytes: &[u8], lang: Lang) -> Result<Table, RowError> {
    let (text, encoding) = table_text(bytes, lang)?;
    let mut rdr = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> =
        rdr.headers().map(|h| h.iter().map(|x| x.trim().to_lowercase()).collect()).unwrap_or_default();
    if headers.len() > limits::COLUMNS {
        return Err(too_big(TooBig::Columns, lang));
    }
    let mut rows = vec![];
    let mut unreadable = vec![];
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        if line > limits::ROWS {
            return Err(too_big(TooBig::Rows, lang));
        }
        if let Ok(r) = &rec
            && (r.len() > limits::COLUMNS || r.iter().any(|c| c.len() > limits::CELL_CHARS * 4))
        {
            let what = if r.len() > limits::COLUMNS { TooBig::Columns } else { TooBig::Cell };
            return Err(RowError { row: line, ..too_big(what, lang) });
        }
        match rec {
            Ok(r) if r.iter().all(|c| c.is_empty()) => {}
            Ok(r) => rows.push((line, r)),
            Err(_) => unreadable.push(RowError {
                row: line,
                column: String::new(),
                reason: lang.pick("无法读取这一行", "Unreadable row").into(),
            }),
        }
    }
    Ok(Table { headers, rows, unreadable, encoding })
}

/// Which limit a file passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TooBig {
    Archive,
    Rows,
    Columns,
    Cell,
    Text,
}

#[derive(Debug)]
pub enum SheetError {
    TooBig(TooBig),
    Unreadable(String),
}

impl<E: std::fmt::Display> From<E> for SheetError
where
    E: std::error::Error,
{
    fn from(e: E) -> Self {
        SheetError::Unreadable(e.to_string())
    }
}

fn too_big(what: TooBig, lang: Lang) -> RowError {
    let (zh, en) = match what {
        TooBig::Archive => (
            "Excel 文件解压后过大（单个部分最多 16 MB，全部最多 48 MB），未读取",
            "The Excel file is too large once unpacked (16 MB per part, 48 MB in all); nothing was read",
        ),
        TooBig::Rows => {
            ("表格行数过多（最多 100,000 行），未读取", "Too many rows (at most 100,000); nothing was read")
        }
        TooBig::Columns => ("表格列数过多（最多 256 列），未读取", "Too many columns (at most 256); nothing was read"),
        TooBig::Cell => (
            "有单元格内容过长（最多 32,768 个字符），未读取",
            "A cell is too long (at most 32,768 characters); nothing was read",
        ),
        TooBig::Text => (
            "表格文字总量过大（最多 16 MB），未读取",
            "The table holds too much text (at most 16 MB); nothing was read",
        ),
    };
    RowError { row: 1, column: String::new(), reason: lang.pick(zh, en).into() }
}

/// Inflates every entry of the archive into nothing, counting, and stops at the first limit.
fn check_archive(bytes: &[u8]) -> Result<(), SheetError> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))?;
    if zip.len() > limits::ZIP_ENTRIES {
        return Err(SheetError::TooBig(TooBig::Archive));
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let entry = zip.by_index(i)?;
        let inflated = std::io::copy(&mut entry.take(limits::ZIP_ENTRY_BYTES + 1), &mut std::io::sink())?;
        total += inflated;
        if inflated > limits::ZIP_ENTRY_BYTES || total > limits::ZIP_TOTAL_BYTES {
            return Err(SheetError::TooBig(TooBig::Archive));
        }
    }
    Ok(())
}

/// The first worksheet as CSV: numbers as people typed them (no `.0` on whole numbers), dates
/// as `YYYY-MM-DD` (with ` HH:MM:SS` when they have a time), blank rows kept so that line
/// numbers match the sheet's row numbers. Cells are streamed, so a sheet that claims a huge
/// extent costs only the cells it holds, and every limit in [`limits`] is checked on the way.
pub fn xlsx_to_csv(bytes: &[u8]) -> Result<String, SheetError> {
    check_archive(bytes)?;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes))?;
    let first = book.sheet_names().first().cloned().ok_or(SheetError::Unreadable("no sheet".into()))?;
    let mut cells: Vec<(u32, u32, String)> = vec![];
    let mut text = 0usize;
    {
        let mut reader = book.worksheet_cells_reader(&first)?;
        while let Some(cell) = reader.next_cell()? {
            let (row, col) = cell.get_position();
            if row as usize >= limits::ROWS {
                return Err(SheetError::TooBig(TooBig::Rows));
            }
            if col as usize >= limits::COLUMNS {
                return Err(SheetError::TooBig(TooBig::Columns));
            }
            let t = cell_text(cell.get_value());
            if t.is_empty() {
                continue;
            }
            if t.chars().count() > limits::CELL_CHARS {
                return Err(SheetError::TooBig(TooBig::Cell));
            }
            text += t.len();
            if text > limits::TEXT_BYTES {
                return Err(SheetError::TooBig(TooBig::Text));
            }
            cells.push((row, col, t));
        }
    }
    cells.sort_by_key(|c| (c.0, c.1));
    let mut w = csv::Writer::from_writer(vec![]);
    let width = cells.iter().map(|c| c.1 as usize + 1).max().unwrap_or(0);
    let last_row = cells.last().map_or(0, |c| c.0 as usize + 1);
    let mut next = cells.into_iter().peekable();
    for r in 0..last_row {
        let mut line = vec![String::new(); width.max(1)];
        while let Some((_, c, t)) = next.next_if(|c| c.0 as usize == r) {
            line[c as usize] = t;
        }
        w.write_record(&line)?;
    }
    let bytes = w.into_inner().map_err(|e| SheetError::Unreadable(e.to_string()))?;
    Ok(String::from_utf8(bytes)?)
}

fn cell_text(d: &DataRef<'_>) -> String {
    match d {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) => match dt.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => t.format("%Y-%m-%d").to_string(),
            Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => dt.as_f64().to_string(),
        },
        DataRef::Error(e) => format!("#{e:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workbook() -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let s = book.add_worksheet();
        s.write_string(0, 0, "时间").unwrap();
        s.write_string(0, 1, "数值").unwrap();
        let date = rust_xlsxwriter::ExcelDateTime::parse_from_str("2026-11-20").unwrap();
        let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        s.write_datetime_with_format(1, 0, &date, &fmt).unwrap();
        s.write_number(1, 1, 1200.0).unwrap();
        let stamp = rust_xlsxwriter::ExcelDateTime::parse_from_str("2026-11-21 08:30:00").unwrap();
        let fmt2 = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
        s.write_datetime_with_format(3, 0, &stamp, &fmt2).unwrap();
        s.write_number(3, 1, 3.25).unwrap();
        book.save_to_buffer().unwrap()
    }

    #[test]
    fn workbooks_read_as_csv_with_sheet_row_numbers() {
        let (text, enc) = table_text(&workbook(), Lang::En).unwrap();
        assert_eq!(enc, Encoding::Xlsx);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "时间,数值");
        assert_eq!(lines[1], "2026-11-20,1200");
        assert_eq!(lines[2], ",", "a blank row stays a line");
        assert_eq!(lines[3], "2026-11-21 08:30:00,3.25");
    }

    /// A minimal workbook whose one sheet is `sheet` (written in 1 MB pieces, so that a bomb
    /// costs the test no memory).
    fn raw_workbook(sheet_head: &str, filler: u64, sheet_tail: &str) -> Vec<u8> {
        use std::io::Write;
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(vec![]));
        let o = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let parts = [
            (
                "[Content_Types].xml",
                r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
            ),
            (
                "_rels/.rels",
                r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
            ),
            (
                "xl/workbook.xml",
                r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
            ),
            (
                "xl/_rels/workbook.xml.rels",
                r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
            ),
        ];
        for (name, body) in parts {
            z.start_file(name, o).unwrap();
            z.write_all(body.as_bytes()).unwrap();
        }
        z.start_file("xl/worksheets/sheet1.xml", o.large_file(true)).unwrap();
        z.write_all(sheet_head.as_bytes()).unwrap();
        let mb = vec![b'A'; 1 << 20];
        for _ in 0..filler {
            z.write_all(&mb).unwrap();
        }
        z.write_all(sheet_tail.as_bytes()).unwrap();
        z.finish().unwrap().into_inner()
    }

    const HEAD: &str = r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;

    #[test]
    fn a_zip_bomb_is_refused_while_it_inflates() {
        let bomb = raw_workbook(
            &format!(r#"{HEAD}<row r="1"><c r="A1" t="inlineStr"><is><t>"#),
            40,
            "</t></is></c></row></sheetData></worksheet>",
        );
        assert!(bomb.len() < 1 << 20, "40 MB of sheet in {} bytes", bomb.len());
        let e = table_text(&bomb, Lang::Zh).unwrap_err();
        assert!(e.reason.contains("解压后过大"), "{}", e.reason);
        let e = table_text(&bomb, Lang::En).unwrap_err();
        assert!(e.reason.contains("too large once unpacked"), "{}", e.reason);
    }

    #[test]
    fn a_sheet_costs_the_cells_it_holds_within_its_limits() {
        // Two cells a million rows and 16,000 columns apart: no dense grid is built, the extent
        // is refused.
        let far = raw_workbook(
            &format!(
                r#"{HEAD}<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#
            ),
            0,
            "</sheetData></worksheet>",
        );
        assert!(table_text(&far, Lang::En).unwrap_err().reason.contains("Too many rows"));
        let wide =
            raw_workbook(&format!(r#"{HEAD}<row r="1"><c r="IW1"><v>1</v></c></row>"#), 0, "</sheetData></worksheet>");
        assert!(table_text(&wide, Lang::En).unwrap_err().reason.contains("Too many columns"));
        let long =
            format!(r#"{HEAD}<row r="1"><c r="A1" t="inlineStr"><is><t>{}</t></is></c></row>"#, "长".repeat(40_000));
        let long = raw_workbook(&long, 0, "</sheetData></worksheet>");
        assert!(table_text(&long, Lang::En).unwrap_err().reason.contains("A cell is too long"));
        // Within the limits, rows out of order come out in order, gaps as blank lines.
        let ok = raw_workbook(
            &format!(
                r#"{HEAD}<row r="3"><c r="B3"><v>2</v></c></row><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>"#
            ),
            0,
            "</sheetData></worksheet>",
        );
        assert_eq!(table_text(&ok, Lang::En).unwrap().0, "x,\n,\n,2\n");
    }

    #[test]
    fn a_csv_within_its_limits() {
        let mut many = String::from("a\n");
        for i in 0..limits::ROWS {
            many.push_str(&format!("{i}\n"));
        }
        assert!(read_table(many.as_bytes(), Lang::En).unwrap_err().reason.contains("Too many rows"));
        let wide = format!("a\n{}\n", vec!["x"; limits::COLUMNS + 1].join(","));
        assert!(read_table(wide.as_bytes(), Lang::En).unwrap_err().reason.contains("Too many columns"));
        let long = format!("a\n{}\n", "x".repeat(limits::CELL_CHARS * 4 + 1));
        let e = read_table(long.as_bytes(), Lang::En).unwrap_err();
        assert_eq!((e.row, e.reason.contains("A cell is too long")), (2, true));
        assert_eq!(read_table(b"a,b\n1,2\n", Lang::En).unwrap().rows.len(), 1);
    }

    #[test]
    fn csv_in_utf8_or_gbk_and_garbage_refused() {
        assert_eq!(table_text("\u{feff}a,b\n".as_bytes(), Lang::En).unwrap(), ("a,b\n".into(), Encoding::Utf8));
        let (gbk, _, _) = encoding_rs::GBK.encode("时间,数值\n");
        assert_eq!(table_text(&gbk, Lang::En).unwrap(), ("时间,数值\n".into(), Encoding::Gbk));
        assert!(table_text(b"PK\x03\x04not a zip", Lang::En).is_err());
        assert!(table_text(&[b'a', 0x81, 0x7f, b'\n'], Lang::En).is_err());
    }
}
