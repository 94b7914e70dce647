mod common;
use common::TestDb;

#[tokio::test]
async fn smoke() {
    let t = std::time::Instant::now();
    let db = TestDb::new().await;
    eprintln!("db+migrate {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let a = db.org("A").await;
    let u = db.user("A", "rep").await;
    eprintln!("org+user {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let s = db.session(&u).await;
    eprintln!("session {:?} {:?}", t.elapsed(), s.me());
    let _ = a;
}
#[tokio::test]
async fn smoke2() {
    let t = std::time::Instant::now();
    let db = TestDb::new().await;
    eprintln!("db+migrate2 {:?}", t.elapsed());
}
