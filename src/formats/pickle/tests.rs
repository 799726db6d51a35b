//! CPython-semantics tests for the walker, written as raw opcode bytes.

use super::*;
use crate::rules::Severity;

fn scan(bytes: &[u8]) -> PickleScan {
    let mut stream = ByteStream::new(bytes);
    scan_stream(&mut stream, PickleContext::Plain, &Policy::new())
}

fn rules_of(s: &PickleScan) -> Vec<&'static str> {
    let mut r: Vec<_> = s.findings.iter().map(|f| f.rule).collect();
    r.sort();
    r
}

fn has(s: &PickleScan, rule: &str, module: &str, name: &str) -> bool {
    s.findings.iter().any(|f| {
        f.rule == rule
            && f.evidence.module.as_deref() == Some(module)
            && f.evidence.name.as_deref() == Some(name)
    })
}

fn sbu(s: &str) -> Vec<u8> {
    let mut v = vec![0x8c, s.len() as u8];
    v.extend_from_slice(s.as_bytes());
    v
}

#[test]
fn plain_data_is_quiet() {
    // {'a': [1, 2.0, None, True]} at protocol 2
    let p =
        b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01]q\x02(K\x01G@\x00\x00\x00\x00\x00\x00\x00N\x88es.";
    let s = scan(p);
    assert!(s.findings.is_empty(), "{:?}", s.findings);
    assert!(s.incomplete.is_none());
    assert_eq!(s.protocol, Some(2));
}

#[test]
fn global_and_reduce_is_critical() {
    let s = scan(b"cos\nsystem\n(S'echo x'\ntR.");
    assert!(has(&s, "MV101", "os", "system"));
    assert_eq!(s.findings[0].severity, Severity::Critical);
    assert!(s.globals[0].uses.called);
}

#[test]
fn stack_global_operands_through_memo_and_decoys() {
    // 'os' BINPUT 0, decoy 'print' POP, 'system' MEMOIZE, POP, BINGET 0, GET memo[1], STACK_GLOBAL
    let mut p = vec![0x80, 4];
    p.extend(sbu("os"));
    p.extend(b"q\x00");
    p.extend(sbu("builtins"));
    p.push(b'0');
    p.extend(sbu("system"));
    p.push(0x94); // MEMOIZE -> memo[1] (one slot occupied)
    p.push(b'0');
    p.extend(b"h\x00h\x01");
    p.push(0x93);
    p.extend(b".");
    let s = scan(&p);
    assert!(has(&s, "MV101", "os", "system"), "{:?}", s.findings);
    assert!(!s.globals.iter().any(|g| g.module == "builtins"));
}

#[test]
fn memoize_overwrites_an_explicit_put_slot() {
    // PUT 1 'x'; then 'os' MEMOIZE goes to index len(memo)=1, overwriting 'x'.
    let mut p = vec![0x80, 4];
    p.extend(sbu("x"));
    p.extend(b"q\x01");
    p.extend(sbu("os"));
    p.push(0x94);
    p.extend(b"00");
    p.extend(b"h\x01");
    p.extend(sbu("system"));
    p.push(0x93);
    p.push(b'.');
    let s = scan(&p);
    assert!(has(&s, "MV101", "os", "system"), "{:?}", s.findings);
}

#[test]
fn non_literal_stack_global_is_a_dynamic_import() {
    // STACK_GLOBAL whose module is a call result.
    let mut p = vec![0x80, 4];
    p.extend(b"cbuiltins\nstr\n");
    p.extend(sbu("os"));
    p.push(0x85);
    p.push(b'R');
    p.extend(sbu("system"));
    p.push(0x93);
    p.push(b'.');
    let s = scan(&p);
    assert!(rules_of(&s).contains(&"MV106"), "{:?}", s.findings);
}

#[test]
fn fence_stops_pops_below_a_mark() {
    // MARK then POP with nothing above the mark pops the mark (CPython), not the item below.
    let s = scan(b"\x80\x02N(0.");
    assert!(s.incomplete.is_none(), "{:?}", s.incomplete);
    // REDUCE cannot take operands from below a MARK.
    let s = scan(b"cos\nsystem\nN(R.");
    assert!(s.incomplete.as_deref().unwrap().contains("underflow"));
    assert!(
        has(&s, "MV101", "os", "system"),
        "import findings survive the error"
    );
}

#[test]
fn mutating_opcodes_cannot_reach_below_a_mark() {
    // SETITEM, SETITEMS, APPENDS and ADDITEMS take their container from above the
    // innermost MARK, as CPython does; reaching below it is an underflow, never a panic,
    // and a call made before it is still reported.
    let trigger_after_call: &[&[u8]] = &[
        b"(NN(}s",     // SETITEM across a MARK, then LIST closes the inner mark (was a panic)
        b"}((u",       // SETITEMS whose dict lies below the outer MARK
        b"]((e",       // APPENDS, the same for a list
        b"\x8f((\x90", // ADDITEMS, the same for a set
    ];
    for trigger in trigger_after_call {
        let mut p = b"\x80\x02cos\nsystem\nX\x06\x00\x00\x00echo x\x85R".to_vec();
        p.extend_from_slice(trigger);
        p.extend_from_slice(b"l.");
        let s = scan(&p);
        assert!(
            has(&s, "MV101", "os", "system"),
            "{trigger:?}: {:?}",
            s.findings
        );
        assert!(
            s.incomplete
                .as_deref()
                .is_some_and(|r| r.contains("underflow")),
            "{trigger:?}: {:?}",
            s.incomplete
        );
    }
    // Within their own frame the same opcodes are fine.
    let s = scan(b"\x80\x02(}NNsl.");
    assert!(s.incomplete.is_none(), "{:?}", s.incomplete);
}

#[test]
fn a_walker_failure_keeps_the_findings_made_before_it() {
    // os.system is imported and called, then the walker fails on the next opcode (a
    // fault injected on STOP): the critical finding stands, the scan is incomplete and
    // marked an internal error.
    vm::fault::panic_on(Some(b'.'));
    let s = scan(b"\x80\x02cos\nsystem\nX\x06\x00\x00\x00echo x\x85R.");
    vm::fault::panic_on(None);
    assert!(has(&s, "MV101", "os", "system"), "{:?}", s.findings);
    assert!(s.internal_error);
    assert!(s.incomplete.as_deref().unwrap().contains("internal error"));
}

#[test]
fn truncation_and_invalid_opcodes_keep_findings() {
    for tail in [&b""[..], b"\xff", b"\x80\x06"] {
        let mut p = b"cos\nsystem\n(S'echo x'\ntR".to_vec();
        p.extend_from_slice(tail);
        let s = scan(&p);
        assert!(has(&s, "MV101", "os", "system"), "tail {tail:?}");
        assert!(rules_of(&s).contains(&"MV110"), "tail {tail:?}");
        assert!(s.incomplete.is_some());
    }
}

#[test]
fn several_pickles_and_trailing_data() {
    let s = scan(b"\x80\x02N.\x80\x02cos\nsystem\n.");
    assert_eq!(s.pickles, 2);
    assert!(has(&s, "MV101", "os", "system"));
    let s = scan(b"\x80\x02N.garbage");
    assert!(rules_of(&s).contains(&"MV112"));
    assert_eq!(s.trailing_bytes, 7);
}

#[test]
fn py2_names_are_mapped_below_protocol_3() {
    let s = scan(b"\x80\x02c__builtin__\neval\n.");
    assert!(has(&s, "MV101", "builtins", "eval"));
    let s = scan(b"\x80\x03c__builtin__\neval\n.");
    // Unmapped at protocol 3, and still critical: a dunder module name is never inert.
    assert!(
        has(&s, "MV101", "__builtin__", "eval"),
        "no mapping at protocol 3: {:?}",
        s.findings
    );
}

#[test]
fn inst_obj_newobj_are_calls() {
    let s = scan(b"(S'echo x'\nios\nsystem\n.");
    assert!(has(&s, "MV101", "os", "system"));
    let s = scan(b"(cos\nsystem\nS'x'\no0N.");
    assert!(has(&s, "MV101", "os", "system"));
    assert!(s.globals[0].uses.called);
    let s = scan(b"\x80\x02csubprocess\nPopen\n)\x81.");
    assert!(has(&s, "MV101", "subprocess", "Popen"));
}

#[test]
fn mutation_of_an_allowed_global_is_a_finding() {
    let s = scan(b"\x80\x02ccollections\nOrderedDict\n}X\x08\x00\x00\x00__init__Nsb.");
    assert!(rules_of(&s).contains(&"MV108"), "{:?}", s.findings);
    let s = scan(b"\x80\x02cos\nenviron\nX\x01\x00\x00\x00AX\x01\x00\x00\x00Bs.");
    assert!(rules_of(&s).contains(&"MV108"));
}

#[test]
fn framework_classes_are_low_when_rebuilt_and_medium_when_called() {
    let s = scan(b"\x80\x02csklearn.linear_model\nLogisticRegression\n)\x81}b.");
    assert!(has(
        &s,
        "MV104",
        "sklearn.linear_model",
        "LogisticRegression"
    ));
    assert_eq!(
        s.findings.iter().map(|f| f.severity).max(),
        Some(Severity::Low)
    );
    let s = scan(b"\x80\x02csklearn.utils\nsome_function\n)R.");
    assert!(has(&s, "MV105", "sklearn.utils", "some_function"));
    let s =
        scan(b"\x80\x02ccopy_reg\n_reconstructor\ncsklearn.svm\nSVC\ncbuiltins\nobject\nN\x87R.");
    assert!(has(&s, "MV104", "sklearn.svm", "SVC"), "{:?}", s.findings);
}

#[test]
fn ext_opcodes_are_reported() {
    let s = scan(b"\x80\x02\x82\x01.");
    assert!(rules_of(&s).contains(&"MV107"));
}

#[test]
fn frame_boundary_crossing_is_reported() {
    // FRAME of 2 bytes, then a SHORT_BINUNICODE that runs past it.
    let mut p = vec![0x80, 4, 0x95, 2, 0, 0, 0, 0, 0, 0, 0];
    p.extend(sbu("abc"));
    p.push(b'.');
    let s = scan(&p);
    assert!(rules_of(&s).contains(&"MV111"));
    // Both readings agree here (the string starts at the frame's end either way), and
    // both were walked.
    assert!(s.incomplete.is_none(), "{s:?}");
    // A well-framed pickle is quiet.
    let mut p = vec![0x80, 4, 0x95, 6, 0, 0, 0, 0, 0, 0, 0];
    p.extend(sbu("abc"));
    p.push(b'.');
    let s = scan(&p);
    assert!(s.findings.is_empty() && s.incomplete.is_none());
}

#[test]
fn persistent_ids_outside_torch_are_low() {
    let s = scan(b"\x80\x02X\x03\x00\x00\x00pidQ.");
    assert!(rules_of(&s).contains(&"MV113"));
    let mut stream = ByteStream::new(&b"\x80\x02X\x03\x00\x00\x00pidQ."[..]);
    let t = scan_stream(&mut stream, PickleContext::TorchZip, &Policy::new());
    assert!(t.findings.is_empty());
}

#[test]
fn self_referencing_and_deep_structures_do_not_recurse() {
    // A list appended to itself, then 200k nested lists built through the memo.
    let s = scan(b"\x80\x02]q\x00h\x00a.");
    assert!(s.incomplete.is_none());
    let mut p = vec![0x80, 2];
    p.extend(std::iter::repeat_n(b']', 200_000));
    p.extend(std::iter::repeat_n(b'a', 199_999));
    p.push(b'.');
    let s = scan(&p);
    assert!(s.incomplete.is_none(), "{:?}", s.incomplete);
}

#[test]
fn call_chains_stay_shallow_and_linear() {
    // Each REDUCE calls the previous call's result: 300k links must neither recurse nor
    // build ever-growing labels (this ran for minutes at 1.3 GB before callees were bounded).
    for call in [&b")R"[..], b")\x81"] {
        let mut p = b"\x80\x02cbuiltins\nstr\n".to_vec();
        for _ in 0..300_000 {
            p.extend_from_slice(call);
        }
        p.push(b'.');
        let started = std::time::Instant::now();
        let s = scan(&p);
        assert!(s.incomplete.is_none(), "{:?}", s.incomplete);
        assert!(
            s.calls.len() <= 3,
            "{:?}",
            s.calls.keys().collect::<Vec<_>>()
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
}

#[test]
fn stack_limit_is_reported() {
    let mut p = vec![0x80, 2];
    p.extend(std::iter::repeat_n(b'N', limits::MAX_PICKLE_STACK + 1));
    let s = scan(&p);
    assert_eq!(s.limit, Some(LimitHit::PickleStack));
    assert!(rules_of(&s).contains(&"MV502"));
}

#[test]
fn memo_limit_is_reported() {
    let mut p = vec![0x80, 4, b'N'];
    p.extend(std::iter::repeat_n(0x94, limits::MAX_PICKLE_MEMO + 1));
    let s = scan(&p);
    assert_eq!(s.limit, Some(LimitHit::PickleMemo));
}

#[test]
fn mark_limit_is_reported() {
    let mut p = vec![0x80, 2];
    p.extend(std::iter::repeat_n(b'(', limits::MAX_PICKLE_MARKS + 1));
    assert_eq!(scan(&p).limit, Some(LimitHit::PickleMarks));
}

#[test]
fn line_limit_is_reported() {
    let mut p = b"c".to_vec();
    p.extend(std::iter::repeat_n(b'a', limits::MAX_PICKLE_LINE + 10));
    p.extend(b"\nx\n.");
    assert_eq!(scan(&p).limit, Some(LimitHit::PickleLine));
}

#[test]
fn pickles_per_stream_limit_is_reported() {
    let p: Vec<u8> = std::iter::repeat_n(&b"\x80\x02N."[..], limits::MAX_PICKLES_PER_STREAM + 1)
        .flatten()
        .copied()
        .collect();
    assert_eq!(scan(&p).limit, Some(LimitHit::PicklesPerStream));
}

#[test]
fn opcode_budget_is_reported() {
    let mut stream = ByteStream::new(&b"\x80\x02NNNN."[..]);
    let s = scan_stream_with_budget(&mut stream, PickleContext::Plain, &Policy::new(), 3);
    assert_eq!(s.limit, Some(LimitHit::PickleOpcodes));
    assert!(s.incomplete.is_some());
}

#[test]
fn torch_legacy_magic_is_recognised_and_storages_skipped() {
    let mut p = TORCH_LEGACY_MAGIC.to_vec();
    for _ in 0..4 {
        p.extend(b"\x80\x02N.");
    }
    p.extend([0xde, 0xad, 0xbe, 0xef, 0x80, 0x02]);
    let mut stream = ByteStream::new(&p[..]);
    let s = scan_stream(&mut stream, PickleContext::TorchLegacy, &Policy::new());
    assert_eq!(s.pickles, 5);
    assert!(s.findings.is_empty(), "{:?}", s.findings);
    assert_eq!(s.raw_array_bytes, 6);
}

#[test]
fn sniffing_tells_pickles_from_text() {
    let p = Policy::new();
    assert!(looks_like_pickle(b"\x80\x02N.", &p));
    assert!(looks_like_pickle(b"cos\nsystem\n(S'x'\ntR", &p));
    assert!(!looks_like_pickle(
        b"Copyright (c) 2018, Someone. All rights reserved.\n",
        &p
    ));
    assert!(!looks_like_pickle(b"hello\n", &p));
}

// ---- calls whose arguments settle their meaning (issue 13)

/// Protocol 2: `c<module>\n<name>\n` pushes a global.
fn glob(module: &str, name: &str) -> Vec<u8> {
    format!("c{module}\n{name}\n").into_bytes()
}

/// `X` BINUNICODE of a short string.
fn text(s: &str) -> Vec<u8> {
    let mut v = vec![b'X'];
    v.extend((s.len() as u32).to_le_bytes());
    v.extend(s.as_bytes());
    v
}

fn proto2(parts: &[&[u8]]) -> Vec<u8> {
    let mut p = vec![0x80, 2];
    for part in parts {
        p.extend_from_slice(part);
    }
    p.push(b'.');
    p
}

fn severe(s: &PickleScan) -> Vec<(&'static str, String)> {
    s.findings
        .iter()
        .filter(|f| f.severity >= Severity::Medium)
        .map(|f| (f.rule, f.message.clone()))
        .collect()
}

#[test]
fn getattr_of_an_allowed_class_and_a_constant_name_is_judged_by_what_it_reaches() {
    // getattr(zoneinfo.ZoneInfo, "_unpickle")("UTC", 1): how CPython pickles a ZoneInfo.
    let p = proto2(&[
        &glob("builtins", "getattr"),
        &glob("zoneinfo", "ZoneInfo"),
        &text("_unpickle"),
        b"\x86R",
        &text("UTC"),
        b"K\x01\x86R",
    ]);
    let s = scan(&p);
    assert!(s.findings.is_empty(), "{:?}", s.findings);
    let reached = s
        .globals
        .iter()
        .find(|g| g.name == "ZoneInfo._unpickle")
        .expect("the reached pair is a global of its own");
    assert_eq!(reached.reached_through, Some("builtins.getattr"));
    assert!(reached.uses.called);
}

#[test]
fn getattr_reaching_code_execution_stays_critical() {
    // getattr(os.path, "system")("echo ..."), and a dunder reached through an allowed class.
    for (module, name, attr) in [
        ("os", "path", "system"),
        ("zoneinfo", "ZoneInfo", "__init__"),
    ] {
        let p = proto2(&[
            &glob("builtins", "getattr"),
            &glob(module, name),
            &text(attr),
            b"\x86R",
            &text("echo modelvet-fixture"),
            b"\x85R",
        ]);
        let s = scan(&p);
        assert!(
            s.findings.iter().any(
                |f| f.rule == "MV101" && f.message.contains("reached through builtins.getattr")
            ),
            "{module}.{name}.{attr}: {:?}",
            s.findings
        );
    }
}

#[test]
fn getattr_with_arguments_not_known_statically_stays_critical() {
    // getattr(<result of a call>, "x"): the owner is not a known global.
    let p = proto2(&[
        &glob("builtins", "getattr"),
        &glob("collections", "OrderedDict"),
        b")R",
        &text("x"),
        b"\x86R",
    ]);
    let s = scan(&p);
    assert!(has(&s, "MV101", "builtins", "getattr"), "{:?}", s.findings);
}

#[test]
fn a_resolver_copy_used_any_other_way_keeps_its_finding() {
    // getattr is resolved once, and a second copy (DUP) is left as the pickle's result.
    let p = proto2(&[
        &glob("builtins", "getattr"),
        b"2",
        &glob("zoneinfo", "ZoneInfo"),
        &text("_unpickle"),
        b"\x86R0",
    ]);
    let s = scan(&p);
    assert!(has(&s, "MV101", "builtins", "getattr"), "{:?}", s.findings);
}

#[test]
fn partial_is_judged_by_the_function_it_wraps() {
    // functools.partial(sklearn.utils.validation.check_array): quiet.
    let quiet = proto2(&[
        &glob("functools", "partial"),
        &glob("sklearn.utils.validation", "check_array"),
        b"\x85R",
    ]);
    let s = scan(&quiet);
    assert!(severe(&s).is_empty(), "{:?}", s.findings);
    assert!(
        !s.globals.iter().any(|g| g.uses.called),
        "nothing is called"
    );

    // functools.partial(os.system, "echo")(): os.system is imported and, through the
    // partial object, called.
    let loud = proto2(&[
        &glob("functools", "partial"),
        &glob("os", "system"),
        &text("echo modelvet-fixture"),
        b"\x86R)R",
    ]);
    let s = scan(&loud);
    assert!(has(&s, "MV101", "os", "system"), "{:?}", s.findings);
    let system = s.globals.iter().find(|g| g.module == "os").unwrap();
    assert!(system.uses.called, "calling the partial calls os.system");

    // partial(<a call result>): not settled, partial itself stays critical.
    let dynamic = proto2(&[
        &glob("functools", "partial"),
        &glob("collections", "OrderedDict"),
        b")R\x85R",
    ]);
    let s = scan(&dynamic);
    assert!(has(&s, "MV101", "functools", "partial"), "{:?}", s.findings);
}

#[test]
fn dill_load_type_is_judged_by_the_type_it_names() {
    let load = |name: &str| {
        scan(&proto2(&[
            &glob("dill._dill", "_load_type"),
            &text(name),
            b"\x85R",
        ]))
    };
    let s = load("list");
    assert!(s.findings.is_empty(), "{:?}", s.findings);
    let s = load("CodeType");
    assert!(has(&s, "MV109", "types", "CodeType"), "{:?}", s.findings);
    // A name dill may map to anything: the call is not settled.
    let s = load("SomethingElse");
    assert!(
        has(&s, "MV109", "dill._dill", "_load_type"),
        "{:?}",
        s.findings
    );
}

#[test]
fn simple_namespace_is_data_and_the_rest_of_types_is_not() {
    let ns = proto2(&[&glob("types", "SimpleNamespace"), b")R"]);
    assert!(scan(&ns).findings.is_empty());
    let f = proto2(&[&glob("types", "FunctionType"), b")R"]);
    assert!(has(&scan(&f), "MV109", "types", "FunctionType"));
}

/// PROTO 4, a FRAME of 12 bytes holding `c` and `collections` without its newline, then
/// `os\nsystem\n` and a call. `pickle.loads` reads the global `collectionsos.system`;
/// `pickle.Unpickler(io.BytesIO(...))`, as torch.load runs it, drops the rest of the frame
/// and reads `os.system` (checked with CPython 3.11's C unpickler and a find_class hook).
fn frame_drop_pickle() -> Vec<u8> {
    let mut p = vec![0x80, 4, 0x95];
    p.extend(12u64.to_le_bytes());
    p.extend(b"ccollections");
    p.extend(b"os\nsystem\n");
    p.extend(b")R.");
    p
}

#[test]
fn the_reading_torch_load_takes_across_a_frame_is_checked_too() {
    let s = scan(&frame_drop_pickle());
    let messages: Vec<&str> = s.findings.iter().map(|f| f.message.as_str()).collect();
    assert!(rules_of(&s).contains(&"MV111"), "{messages:?}");
    let torch = s
        .findings
        .iter()
        .find(|f| f.rule == "MV101")
        .unwrap_or_else(|| panic!("{messages:?}"));
    assert!(
        torch
            .message
            .starts_with("as torch.load reads the frames: "),
        "{}",
        torch.message
    );
    assert!(torch.message.contains("os.system"), "{}", torch.message);
    assert!(
        messages.iter().any(|m| m.contains("collectionsos.system")),
        "{messages:?}"
    );
    assert!(s.incomplete.is_none(), "{s:?}");
}

#[test]
fn a_stream_too_long_to_keep_stays_incomplete_when_frames_diverge() {
    // The same divergence after more bytes than are kept for a second reading.
    let mut p = vec![0x80, 4];
    let filler = limits::MAX_PICKLE_REREAD_BYTES + 16;
    p.push(0x8e); // BINBYTES8
    p.extend((filler as u64).to_le_bytes());
    p.extend(std::iter::repeat_n(0u8, filler));
    p.push(b'0'); // POP
    p.extend(&frame_drop_pickle()[2..]);
    let s = scan(&p);
    assert!(
        s.incomplete
            .as_deref()
            .unwrap()
            .contains("MAX_PICKLE_REREAD_BYTES"),
        "{s:?}"
    );
}

#[test]
fn names_fetched_back_from_a_large_memo_are_still_exact() {
    // More memo slots than are kept whole, then `os` and `system` memoized, fetched back
    // with LONG_BINGET and imported: the import is still os.system.
    let filler = crate::limits::MAX_PICKLE_MEMO_VALUES as u32 + 100;
    let mut p = vec![0x80, 4];
    for _ in 0..filler {
        p.extend([b'K', 0, 0x94, b'0']);
    }
    p.extend(sbu("os"));
    p.extend([0x94, b'0']);
    p.extend(sbu("system"));
    p.extend([0x94, b'0']);
    p.push(b'j');
    p.extend(filler.to_le_bytes());
    p.push(b'j');
    p.extend((filler + 1).to_le_bytes());
    p.push(0x93);
    p.extend(sbu("echo"));
    p.extend([0x85, b'R', b'.']);
    let s = scan(&p);
    assert!(rules_of(&s).contains(&"MV101"), "{:?}", s.findings);
    assert!(s.incomplete.is_none(), "{s:?}");
}

#[test]
fn a_global_of_many_dotted_parts_is_judged_in_linear_time() {
    // Found by the pickle fuzz target: a 772-byte input whose STACK_GLOBAL strings held
    // hundreds of dots took 1.2 s (every split of the path was tried, quadratic in parts).
    let long = ".".repeat(4_000);
    let mut p = vec![0x80, 4, 0x8d];
    p.extend((long.len() as u64).to_le_bytes());
    p.extend(long.as_bytes());
    p.push(0x8d);
    p.extend((long.len() as u64).to_le_bytes());
    p.extend(long.as_bytes());
    p.extend([0x93, b'.']);
    let started = std::time::Instant::now();
    let s = scan(&p);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // Too long to read every way, so it is judged as code execution, never allowed.
    assert!(rules_of(&s).contains(&"MV101"), "{:?}", s.findings);
    // A real path that reaches os.system through many parts is still code execution.
    let chain = format!("{}system", "path.os.".repeat(20));
    let mut p = vec![0x80, 4];
    p.extend(sbu("os"));
    p.push(0x8d);
    p.extend((chain.len() as u64).to_le_bytes());
    p.extend(chain.as_bytes());
    p.extend([0x93, b'.']);
    assert!(rules_of(&scan(&p)).contains(&"MV101"));
}
