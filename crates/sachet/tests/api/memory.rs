//! A gigabyte through the server with bounded memory.

use futures_util::StreamExt;
use reqwest::{StatusCode, multipart};

use crate::support::{TestApp, expect_json};

const TOTAL: u64 = 1 << 30;

/// The byte at `offset` of the test content: cheap to produce and to check,
/// and different in every chunk.
fn byte_at(offset: u64) -> u8 {
    (offset.wrapping_mul(2_654_435_761) >> 13) as u8
}

fn chunk_stream(start: u64, len: u64) -> reqwest::Body {
    const PIECE: u64 = 256 << 10;
    let pieces = (0..len.div_ceil(PIECE)).map(move |n| {
        let from = start + n * PIECE;
        let to = (from + PIECE).min(start + len);
        Ok::<_, std::io::Error>((from..to).map(byte_at).collect::<Vec<u8>>())
    });
    reqwest::Body::wrap_stream(futures_util::stream::iter(pieces))
}

/// Peak resident memory of a process, from /proc, in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM");
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[tokio::test]
async fn a_gigabyte_upload_and_download_stay_under_100_mib_of_server_memory() {
    let app = TestApp::spawn_with(&[("SACHET_MAX_CHUNK_SIZE", "16MiB")]).await;
    // S3 keeps chunks as the parts of the content: the test sends many
    // small ones there, the hard case for an object store.
    let chunk: u64 = if app.uses_s3() { 1 << 20 } else { 16 << 20 };
    let admin = app.admin().await;
    let share = admin.create_share("big.bin").await;
    let total_chunks = TOTAL / chunk;

    for index in 0..total_chunks {
        let part = multipart::Part::stream_with_length(chunk_stream(index * chunk, chunk), chunk);
        let form = multipart::Form::new()
            .text("dzuuid", "big")
            .text("dzchunkindex", index.to_string())
            .text("dztotalchunks", total_chunks.to_string())
            .part("upload", part);
        let response = admin
            .post(&format!("{share}/content"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let expected = if index + 1 == total_chunks {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        expect_json(response, expected).await;
    }

    let response = admin.get(&format!("{share}/content")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.content_length(), Some(TOTAL));
    let mut offset = 0u64;
    let mut body = response.bytes_stream();
    while let Some(piece) = body.next().await {
        let piece = piece.unwrap();
        for (i, byte) in piece.iter().enumerate() {
            assert_eq!(
                *byte,
                byte_at(offset + i as u64),
                "byte {}",
                offset + i as u64
            );
        }
        offset += piece.len() as u64;
    }
    assert_eq!(offset, TOTAL);

    let peak = peak_rss(app.pid());
    eprintln!("server peak RSS: {:.1} MiB", peak as f64 / (1 << 20) as f64);
    assert!(peak < 100 << 20, "peak RSS {peak} bytes");
}
