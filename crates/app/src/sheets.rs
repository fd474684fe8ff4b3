//! Files people upload as tables: CSV in UTF-8 (with or without BOM) or GBK, and Excel
//! workbooks (XLSX; the first worksheet). Every reader of such files takes its text from here,
//! so an import accepts all three the same way and reports rows by the line (or sheet row)
//! people see.

use crate::error::RowError;
use calamine::{Data, Reader};
use tandem_domain::Lang;

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
        return xlsx_to_csv(bytes).map(|t| (t, Encoding::Xlsx)).map_err(|_| {
            refuse(
                "无法读取这个 Excel 文件（需要 .xlsx，且第一个工作表有表头）",
                "Cannot read this Excel file (an .xlsx whose first sheet has a header)",
            )
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

/// Reads a CSV or Excel file into a `Table` (see `table_text`).
pub fn read_table(bytes: &[u8], lang: Lang) -> Result<Table, RowError> {
    let (text, encoding) = table_text(bytes, lang)?;
    let mut rdr = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = rdr.headers().map(|h| h.iter().map(|x| x.trim().to_lowercase()).collect()).unwrap_or_default();
    let mut rows = vec![];
    let mut unreadable = vec![];
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
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

/// The first worksheet as CSV: numbers as people typed them (no `.0` on whole numbers), dates
/// as `YYYY-MM-DD` (with ` HH:MM:SS` when they have a time), blank rows kept so that line
/// numbers match the sheet's row numbers.
pub fn xlsx_to_csv(bytes: &[u8]) -> Result<String, String> {
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let range = book.worksheet_range_at(0).ok_or("the workbook has no sheet")?.map_err(|e| e.to_string())?;
    let mut w = csv::Writer::from_writer(vec![]);
    // Rows above the first used one are blank in the sheet; keep them so lines match.
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    for _ in 0..first_row {
        w.write_record([""]).map_err(|e| e.to_string())?;
    }
    for row in range.rows() {
        let mut cells: Vec<String> = vec![String::new(); first_col as usize];
        cells.extend(row.iter().map(cell_text));
        w.write_record(&cells).map_err(|e| e.to_string())?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => t.format("%Y-%m-%d").to_string(),
            Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => dt.as_f64().to_string(),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
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

    #[test]
    fn csv_in_utf8_or_gbk_and_garbage_refused() {
        assert_eq!(table_text("\u{feff}a,b\n".as_bytes(), Lang::En).unwrap(), ("a,b\n".into(), Encoding::Utf8));
        let (gbk, _, _) = encoding_rs::GBK.encode("时间,数值\n");
        assert_eq!(table_text(&gbk, Lang::En).unwrap(), ("时间,数值\n".into(), Encoding::Gbk));
        assert!(table_text(b"PK\x03\x04not a zip", Lang::En).is_err());
        assert!(table_text(&[b'a', 0x81, 0x7f, b'\n'], Lang::En).is_err());
    }
}
