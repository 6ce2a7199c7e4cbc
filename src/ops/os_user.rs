//! Names of local accounts, for recording who used the `ipgo` command.

/// The login name of a uid, or `uid:N` when the system does not know it.
pub fn name_of(uid: u32) -> String {
    lookup(uid).unwrap_or_else(|| format!("uid:{uid}"))
}

/// The current process's user.
pub fn current() -> String {
    name_of(rustix::process::getuid().as_raw())
}

fn lookup(uid: u32) -> Option<String> {
    let mut buf = vec![0u8; 4096];
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: getpwuid_r writes only into `pwd` and `buf` (whose length we pass), and sets
    // `result` to `&pwd` or null; `pw_name` then points into `buf`, which outlives its use.
    let rc =
        unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr().cast(), buf.len(), &mut result) };
    if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
        return None;
    }
    // SAFETY: a non-null `pw_name` from a successful getpwuid_r is a NUL-terminated string
    // inside `buf`.
    let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
    name.to_str().ok().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    #[test]
    fn root_is_named() {
        assert_eq!(super::name_of(0), "root");
        assert!(super::name_of(4_000_000_000).starts_with("uid:"));
    }
}
