//! Reading and patching the module binary: its section statistics, and exporting the function
//! table (the replica calls reply/reject call-backs through it; Rust does not export it).

/// Name under which the host exports the module's table 0.
pub const TABLE_EXPORT: &str = "__codexvm_table";

fn read_leb(data: &[u8], mut i: usize) -> Option<(u64, usize)> {
    let (mut n, mut shift) = (0u64, 0);
    loop {
        let b = *data.get(i)?;
        i += 1;
        n |= u64::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            return Some((n, i));
        }
        if shift > 63 {
            return None;
        }
    }
}

fn leb(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// Returns the module with table 0 exported as [`TABLE_EXPORT`] (unchanged if already there).
pub fn export_table(module: &[u8]) -> Result<Vec<u8>, String> {
    if module.get(..8) != Some(b"\0asm\x01\0\0\0") {
        return Err("not a wasm module (bad header)".into());
    }
    let mut out = module[..8].to_vec();
    let mut i = 8;
    let mut done = false;
    while i < module.len() {
        let id = module[i];
        let (size, body) = read_leb(module, i + 1).ok_or("truncated section header")?;
        let end = body + size as usize;
        if end > module.len() {
            return Err("truncated section".into());
        }
        if id == 7 && !done {
            let (count, mut j) = read_leb(module, body).ok_or("bad export count")?;
            let entries_start = j;
            for _ in 0..count {
                let (nlen, k) = read_leb(module, j).ok_or("bad export name")?;
                let name = &module[k..k + nlen as usize];
                if name == TABLE_EXPORT.as_bytes() {
                    return Ok(module.to_vec());
                }
                j = k + nlen as usize + 1; // kind byte
                let (_, k2) = read_leb(module, j).ok_or("bad export index")?;
                j = k2;
            }
            let mut section = Vec::new();
            leb(count + 1, &mut section);
            section.extend_from_slice(&module[entries_start..end]);
            leb(TABLE_EXPORT.len() as u64, &mut section);
            section.extend_from_slice(TABLE_EXPORT.as_bytes());
            section.push(0x01); // table
            leb(0, &mut section);
            out.push(7);
            leb(section.len() as u64, &mut out);
            out.extend_from_slice(&section);
            done = true;
        } else {
            out.extend_from_slice(&module[i..end]);
        }
        i = end;
    }
    if !done {
        return Err("module has no export section".into());
    }
    Ok(out)
}

/// Section statistics of a module, for the replica's limits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleInfo {
    /// `module.name` of every import.
    pub imports: Vec<String>,
    /// Functions defined in the module (not imported).
    pub functions: u64,
    /// Size of the code section in bytes.
    pub code_section: u64,
    /// Size of the data section in bytes.
    pub data_section: u64,
    /// Names and sizes of custom sections.
    pub custom_sections: Vec<(String, u64)>,
    /// Exported function names starting with `canister_`.
    pub canister_exports: Vec<String>,
}

fn name_at(data: &[u8], i: usize) -> Option<(String, usize)> {
    let (len, j) = read_leb(data, i)?;
    let end = j + len as usize;
    Some((String::from_utf8_lossy(data.get(j..end)?).into_owned(), end))
}

/// Reads the section statistics of a wasm module.
pub fn inspect(module: &[u8]) -> Result<ModuleInfo, String> {
    if module.get(..8) != Some(b"\0asm\x01\0\0\0") {
        return Err("not a wasm module (bad header)".into());
    }
    let mut info = ModuleInfo::default();
    let mut i = 8;
    while i < module.len() {
        let id = module[i];
        let (size, body) = read_leb(module, i + 1).ok_or("truncated section header")?;
        let end = body + size as usize;
        match id {
            0 => {
                let (name, _) = name_at(module, body).ok_or("bad custom section name")?;
                info.custom_sections.push((name, size));
            }
            2 => {
                let (count, mut j) = read_leb(module, body).ok_or("bad import count")?;
                for _ in 0..count {
                    let (m, k) = name_at(module, j).ok_or("bad import")?;
                    let (n, k) = name_at(module, k).ok_or("bad import")?;
                    info.imports.push(format!("{m}.{n}"));
                    let kind = module[k];
                    j = k + 1;
                    j = match kind {
                        0 => read_leb(module, j).ok_or("bad import")?.1,
                        1 => {
                            let flags = module[j + 1];
                            let (_, k) = read_leb(module, j + 2).ok_or("bad import")?;
                            if flags & 1 == 1 {
                                read_leb(module, k).ok_or("bad import")?.1
                            } else {
                                k
                            }
                        }
                        2 => {
                            let flags = module[j];
                            let (_, k) = read_leb(module, j + 1).ok_or("bad import")?;
                            if flags & 1 == 1 {
                                read_leb(module, k).ok_or("bad import")?.1
                            } else {
                                k
                            }
                        }
                        3 => j + 2,
                        _ => return Err(format!("unknown import kind {kind}")),
                    };
                }
            }
            3 => info.functions = read_leb(module, body).ok_or("bad function count")?.0,
            7 => {
                let (count, mut j) = read_leb(module, body).ok_or("bad export count")?;
                for _ in 0..count {
                    let (n, k) = name_at(module, j).ok_or("bad export")?;
                    let kind = module[k];
                    j = read_leb(module, k + 1).ok_or("bad export")?.1;
                    if kind == 0 && n.starts_with("canister_") {
                        info.canister_exports.push(n);
                    }
                }
            }
            10 => info.code_section = size,
            11 => info.data_section = size,
            _ => {}
        }
        i = end;
    }
    Ok(info)
}
