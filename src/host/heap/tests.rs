use super::*;

#[test]
fn live_bytes_follow_allocations_and_frees() {
    let before = live();
    let v: Vec<u8> = Vec::with_capacity(1 << 20);
    assert!(live() >= before + (1 << 20));
    drop(v);
    assert!(live() < before + (1 << 20));
}

#[test]
fn growing_within_the_allowance_is_fine() {
    set_allowance(Some(8 << 20));
    let v = vec![0u8; 4 << 20];
    set_allowance(None);
    assert_eq!(v.len(), 4 << 20);
}
