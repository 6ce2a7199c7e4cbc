//! The reporting layer's own tests; reading the files back with a real XLSX reader is in
//! `tests/integration/report.rs`.

use jiff::civil::date;

use super::chart::{Bar, Bars, Series, Trend};
use super::*;

fn sample() -> Table {
    let mut t = Table::new(
        "Исполнение / Орындалуы",
        vec![
            Column::new("agency", "Агенттік", Kind::Text).total_label("Барлығы"),
            Column::new("items", "Пункты", Kind::Integer).sum(),
            Column::new("share", "Доля", Kind::Percent),
            Column::new("due", "Срок", Kind::Date),
        ],
    );
    t.push(vec![
        Cell::Link {
            text: "Қаржы министрлігі".into(), href: "/plans?agency=FIN".into()
        },
        Cell::Int(12),
        Cell::Num(0.5),
        Cell::Date(date(2026, 3, 26)),
    ]);
    t.push(vec![
        Cell::text("Әділет министрлігі"),
        Cell::Int(3),
        Cell::Num(0.25),
        Cell::Date(date(2026, 1, 5)),
    ]);
    t.push(vec![Cell::text("Агентство <по делам>"), Cell::Int(1500), Cell::Num(0.25)]);
    t
}

#[test]
fn totals_and_sorting_follow_the_types() {
    let mut t = sample();
    assert_eq!(t.totals(), vec![Cell::text("Барлығы"), Cell::Int(1515), Cell::Empty, Cell::Empty]);
    t.sort("items", true);
    assert_eq!(t.rows[0][1], Cell::Int(1500));
    // Kazakh letters sort beside their Russian neighbours: А < Ә < Қ (after К).
    t.sort("agency", false);
    let names: Vec<String> = t.rows.iter().map(|r| r[0].display(Kind::Text)).collect();
    assert_eq!(names, vec!["Агентство <по делам>", "Әділет министрлігі", "Қаржы министрлігі"]);
    t.sort("due", false);
    assert_eq!(t.rows[0][3], Cell::Empty, "empty cells first");
    assert_eq!(t.rows[1][3], Cell::Date(date(2026, 1, 5)));
    assert_eq!(Cell::Int(1234567).display(Kind::Integer), "1\u{202F}234\u{202F}567");
    assert_eq!(Cell::Num(0.125).display(Kind::Percent), "12,5%");
}

#[test]
fn html_sorts_by_links_and_escapes() {
    let t = sample();
    let sort = Sort { sort: "items".into(), dir: "asc".into() };
    let href =
        |k: &str, d: bool| html::sort_href("/plans/1", &[("lang".into(), "kk".into())], k, d);
    let out = html::render(&t, &html::Options { sort: &sort, href: &href, empty: "Бос" });
    assert!(out.contains("aria-sort=\"ascending\""));
    assert!(out.contains("href=\"/plans/1?lang=kk&amp;sort=items&amp;dir=desc\""), "{out}");
    assert!(out.contains("href=\"/plans/1?lang=kk&amp;sort=agency&amp;dir=asc\""));
    assert!(out.contains("Агентство &lt;по делам&gt;"));
    assert!(out.contains(
        "<tfoot><tr class=\"totals\"><td>Барлығы</td><td class=\"num\">1\u{202F}515</td>"
    ));
    assert!(out.contains("<a href=\"/plans?agency=FIN\">Қаржы министрлігі</a>"));
    let mut hostile = Table::new("t", vec![Column::new("a", "A", Kind::Text)]);
    hostile.push(vec![Cell::Link { text: "x".into(), href: "javascript:alert(1)".into() }]);
    let out =
        html::render(&hostile, &html::Options { sort: &Sort::default(), href: &href, empty: "" });
    assert!(!out.contains("javascript:"), "only portal paths become links");
    let empty = Table::new("t", vec![Column::new("a", "A", Kind::Text)]);
    assert!(
        html::render(&empty, &html::Options { sort: &Sort::default(), href: &href, empty: "Жоқ" })
            .contains(">Жоқ<")
    );
}

#[test]
fn csv_has_a_bom_headings_values_and_totals() {
    let bytes = csv::write(&sample()).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Агенттік,Пункты,Доля,Срок");
    assert_eq!(lines[1], "Қаржы министрлігі,12,0.5,2026-03-26");
    assert_eq!(lines[4], "Барлығы,1515,,");
}

#[test]
fn xlsx_is_a_zip_with_a_sheet_and_formula_totals() {
    let bytes = xlsx::write(&sample()).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut sheet = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(),
        &mut sheet,
    )
    .unwrap();
    assert!(sheet.contains("<f>SUM(B2:B4)</f><v>1515</v>"), "{sheet}");
    assert!(sheet.contains("<pane ySplit=\"1\""), "frozen header");
    assert!(sheet.contains("<cols>"), "column widths");
}

/// Every `<title>` inside the SVG, after checking that it parses as XML.
fn titles(svg: &str) -> Vec<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(svg);
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    loop {
        match reader.read_event().expect("the SVG parses") {
            Event::Start(e) if e.name().as_ref() == "title" => current = Some(String::new()),
            Event::Text(t) => {
                if let Some(c) = current.as_mut() {
                    c.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(c) = current.as_mut() {
                    let name = r.xml10_content().into_owned();
                    let entity = format!("&{name};");
                    c.push_str(&quick_xml::escape::unescape(&entity).expect("a known entity"));
                }
            }
            Event::End(e) if e.name().as_ref() == "title" => out.extend(current.take()),
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

#[test]
fn bars_parse_and_name_every_bar() {
    let chart = Bars {
        id: "c1".into(),
        title: "Пункты по агентствам".into(),
        series: vec![Series::new("В срок", chart::GOOD), Series::new("Просрочено", chart::BAD)],
        bars: vec![
            Bar {
                label: "Министрлік & Co".into(),
                values: vec![5.0, 2.0],
                href: Some("/plans?a=1".into()),
            },
            Bar {
                label: "Қазақстан Республикасы Ұлттық экономика министрлігі".into(),
                values: vec![0.0, 4.0],
                href: None,
            },
        ],
        shares: false,
    };
    let svg = chart::bars(&chart);
    let t = titles(&svg);
    assert_eq!(t[0], "Пункты по агентствам");
    assert!(t.contains(&"Министрлік & Co — В срок: 5".to_owned()), "{t:?}");
    assert!(t.contains(&"Министрлік & Co — Просрочено: 2".to_owned()));
    assert!(t.contains(
        &"Қазақстан Республикасы Ұлттық экономика министрлігі — Просрочено: 4".to_owned()
    ));
    assert_eq!(svg.matches("class=\"bar\"").count(), 3, "a zero segment draws nothing");
    let trend = chart::trend(&Trend {
        id: "c2".into(),
        title: "Динамика".into(),
        periods: vec!["I кв.".into(), "II кв.".into(), "III кв.".into()],
        series: vec![(Series::new("Принято", chart::GOOD), vec![Some(3.0), None, Some(7.5)])],
    });
    let t = titles(&trend);
    assert!(t.contains(&"Принято — III кв.: 7,5".to_owned()), "{t:?}");
    assert_eq!(trend.matches("class=\"point\"").count(), 2);
}

/// A chart whose bars are links is a named group with named links, never an image holding
/// focusable content (axe-core nested-interactive, WCAG 4.1.2); a link to another host is
/// dropped without leaving a closing tag behind.
#[test]
fn bars_that_link_make_a_group_of_named_links() {
    let bar = |label: &str, href: Option<&str>| Bar {
        label: label.into(),
        values: vec![3.0],
        href: href.map(Into::into),
    };
    let chart = |bars| Bars {
        id: "c".into(),
        title: "Returns".into(),
        series: vec![Series::new("Accepted", chart::GOOD)],
        bars,
        shares: false,
    };
    let linked = chart::bars(&chart(vec![bar("MINFIN", Some("/headcount?a=1")), bar("MNE", None)]));
    titles(&linked);
    assert!(linked.contains("role=\"group\""), "{linked}");
    assert!(!linked.contains("role=\"img\""), "{linked}");
    assert!(linked.contains("<a href=\"/headcount?a=1\" aria-label=\"MINFIN: 3\">"), "{linked}");
    assert_eq!(linked.matches("<a ").count(), linked.matches("</a>").count());

    let plain = chart::bars(&chart(vec![bar("MINFIN", None), bar("MNE", Some("//evil.example"))]));
    titles(&plain);
    assert!(plain.contains("role=\"img\""), "nothing focusable: an image: {plain}");
    assert!(!plain.contains("<a ") && !plain.contains("</a>"), "{plain}");
}

#[test]
fn kazakh_text_is_measured_by_its_letters() {
    // Liberation Sans / Arial: «Қ» is as wide as «К» plus its descender (same advance);
    // «ш» is wider than «і».
    let w = |s: &str| font::width(s, 12.0, false);
    assert!((w("Қ") - w("К")).abs() < 0.01);
    assert!(w("ш") > 2.0 * w("і"));
    let label = "Қазақстан Республикасының Қаржы министрлігі";
    // Byte-length estimates (two bytes a Cyrillic letter) come out near twice too wide.
    assert!(w(label) < 0.7 * (label.len() as f64 * 12.0 * 0.6));
    assert!(w(label) > 200.0 && w(label) < 300.0, "{}", w(label));
    let cut = font::fit(label, 12.0, false, 120.0);
    assert!(cut.ends_with('…') && w(&cut) <= 120.0, "{cut}");
    assert_eq!(font::fit("Қаржы", 12.0, false, 120.0), "Қаржы");
    // Bold is wider.
    assert!(font::width(label, 12.0, true) > w(label));
}

/// The value axis: counts get whole ticks; other values quarters, with room for the widest
/// tick label ("1,5" must not be cut at the left edge).
#[test]
fn a_trend_has_whole_ticks_for_counts_and_room_for_its_widest_label() {
    let trend = |values: Vec<Option<f64>>| {
        chart::trend(&Trend {
            id: "t".into(),
            title: "Active users".into(),
            periods: vec!["15.03".into(), "16.03".into()],
            series: vec![(Series::new("Active", chart::GOOD), values)],
        })
    };
    let ticks = |svg: &str| -> Vec<String> {
        svg.split("text-anchor=\"end\">")
            .skip(1)
            .map(|t| t.split('<').next().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ticks(&trend(vec![Some(1.0), Some(0.0)])), ["0", "1"]);
    assert_eq!(ticks(&trend(vec![Some(2.0), Some(1.0)])), ["0", "1", "2"]);
    assert_eq!(ticks(&trend(vec![Some(7.0), None])), ["0", "2", "4", "6", "8", "10"]);
    assert_eq!(ticks(&trend(vec![Some(17.0)])), ["0", "5", "10", "15", "20"]);
    let svg = trend(vec![Some(1.5), Some(0.5)]);
    assert_eq!(ticks(&svg), ["0", "0,5", "1", "1,5", "2"]);
    let left: f64 =
        svg.split("<line x1=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
    assert!(left - 4.0 >= crate::report::font::width("1,5", 12.0, false), "{left}");
}
