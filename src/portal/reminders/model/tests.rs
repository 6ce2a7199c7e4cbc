use super::*;

const HEADER: &str = "record_id;outgoing_number;outgoing_date;summary;executor_agency;document_type;department;deadline;status;new_deadline\n";

#[test]
fn encodings_utf8_and_windows_1251_are_read_others_refused() {
    let text = "Поручение о ходе исполнения №5 «срочно»";
    assert_eq!(decode(text.as_bytes()).unwrap(), (text.to_owned(), "utf-8"));
    let bom = [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat();
    assert_eq!(decode(&bom).unwrap().0, text);
    let cp1251 = encoding_rs::WINDOWS_1251.encode(text).0.into_owned();
    assert_eq!(decode(&cp1251).unwrap(), (text.to_owned(), "windows-1251"));
    // UTF-16 and DOS 866 Cyrillic are not guessed.
    let utf16: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    assert_eq!(decode(&utf16).unwrap_err().key, "reminders-error-encoding");
    let cp866: Vec<u8> = text
        .chars()
        .map(|c| match c as u32 {
            0x410..=0x42F => (c as u32 - 0x410 + 0x80) as u8,
            0x430..=0x43F => (c as u32 - 0x430 + 0xA0) as u8,
            0x440..=0x44F => (c as u32 - 0x440 + 0xE0) as u8,
            _ if c.is_ascii() => c as u8,
            _ => b'?',
        })
        .collect();
    assert_eq!(decode(&cp866).unwrap_err().key, "reminders-error-encoding");
}

#[test]
fn dates_in_the_two_formats_and_nothing_else() {
    let d = Date::new(2026, 12, 4).unwrap();
    assert_eq!(parse_date("2026-12-04"), Some(d));
    assert_eq!(parse_date("04.12.2026"), Some(d));
    for bad in
        ["4.12.2026", "12/04/2026", "2026-12-4", "31.02.2026", "04.12.26", "", "2026-12-04T10:00"]
    {
        assert_eq!(parse_date(bad), None, "{bad}");
    }
}

#[test]
fn a_csv_batch_reports_every_bad_record_by_line_and_keeps_the_good() {
    let csv = format!(
        "{HEADER}\
         1;17-01/1;01.12.2026;Текст;MINFIN;Поручение;Отдел;10.12.2026;на контроле;\n\
         2;17-01/2;12/01/2026;Текст;MINFIN;Поручение;Отдел;10.12.2026;on_control;\n\
         3;17-01/3;05.12.2026;Текст;MINFIN;Поручение;Отдел;01.12.2026;on_control;\n\
         4;17-01/4;01.12.2026;Текст;MINFIN;Поручение;Отдел;10.12.2026;prolonged;\n\
         5;17-01/5;01.12.2026;Текст;MINFIN;Поручение;Отдел;10.12.2026;продлен;20.12.2026\n\
         6;17-01/6;01.12.2026;;MINFIN;Поручение;Отдел;10.12.2026;lost;\n"
    );
    let p = parse(csv.as_bytes()).unwrap();
    let good: Vec<_> = p.records.iter().map(|(l, r)| (*l, r.record_id.as_str())).collect();
    assert_eq!(good, vec![(2, "1"), (6, "5")]);
    let five = &p.records[1].1;
    assert_eq!((five.status, five.deadline.to_string()), (Status::Prolonged, "2026-12-20".into()));
    assert_eq!(five.original_deadline, Date::new(2026, 12, 10).ok());
    let errors: Vec<_> =
        p.errors.iter().map(|e| (e.line, e.field.as_str(), e.key.as_str())).collect();
    assert_eq!(
        errors,
        vec![
            (3, "outgoing_date", "reminders-error-date"),
            (4, "deadline", "reminders-error-deadline-before-outgoing"),
            (5, "new_deadline", "reminders-error-prolonged-without-deadline"),
            (7, "summary", "reminders-error-missing"),
            (7, "status", "reminders-error-status"),
        ]
    );
}

#[test]
fn whole_file_problems_refuse_the_file() {
    let unknown_column = "record_id;outgoing_number;hacked\n1;2;3\n";
    assert_eq!(parse(unknown_column.as_bytes()).unwrap_err().key, "reminders-error-column");
    let missing = "record_id;outgoing_number\n1;2\n";
    assert_eq!(parse(missing.as_bytes()).unwrap_err().key, "reminders-error-column-missing");
    assert_eq!(parse(b"{\"instructions\": 5}").unwrap_err().key, "reminders-error-json");
    assert_eq!(
        parse(b"{\"source\": \"kremlin\", \"instructions\": []}").unwrap_err().key,
        "reminders-error-source"
    );
    assert_eq!(parse(b"[{\"record_id\": ").unwrap_err().key, "reminders-error-json");
}

#[test]
fn a_json_batch_names_its_source_and_numbers_its_records() {
    let json = r#"{"source": "presidential_administration", "instructions": [
        {"record_id": 77, "outgoing_number": "01-21/1", "outgoing_date": "2026-12-01", "summary": "S",
         "executor_agency": "MNE", "document_type": "T", "department": "D", "deadline": "2026-12-09",
         "status": "on_control", "executor_email": "A.B@GOV.KZ"},
        "not an object"]}"#;
    let p = parse(json.as_bytes()).unwrap();
    assert_eq!(p.source, Some(Source::PresidentialAdministration));
    assert_eq!(p.records[0].1.record_id, "77");
    assert_eq!(p.records[0].1.executor_email, "a.b@gov.kz");
    assert_eq!((p.errors[0].line, p.errors[0].key.as_str()), (2, "reminders-error-json"));
}

/// §49 days left: calendar days, and working days across a weekend and a holiday
/// (16 December, Independence Day, 2026 is a Wednesday).
#[test]
fn days_left_across_a_weekend_and_a_holiday() {
    let cal = Calendar::new(Vec::new());
    let friday = Date::new(2026, 12, 11).unwrap();
    let thursday = Date::new(2026, 12, 17).unwrap();
    let left = days_left(&cal, friday, thursday);
    // 14, 15 and 17 December are working days; 12–13 the weekend, 16 the holiday.
    assert_eq!(left, DaysLeft { days_left: 6, working_days_left: 3 });
    assert_eq!(urgency(left, 3), Urgency::OnTime);
    let overdue = days_left(&cal, thursday, friday);
    assert_eq!(overdue.days_left, -6);
    assert_eq!(urgency(overdue, 3), Urgency::Overdue);
    assert_eq!(urgency(days_left(&cal, friday, friday), 3), Urgency::DueSoon);
}
