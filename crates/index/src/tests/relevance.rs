//! Known-item queries over the seeded multilingual corpus: each target must be in the top 3. Add a case for every miss found.

use store::Store;

use super::Replica;
use super::corpus::{Corpus, known_items, seed};
use crate::VideoQuery;

/// What a query should find.
enum Expect {
    /// This item in the top 3.
    Top3(&'static str),
    /// This item first.
    First(&'static str),
    /// Only videos of this channel in the top 3.
    Channel(&'static str),
}

/// (why, search, expected).
fn cases(corpus: &Corpus) -> Vec<(&'static str, String, Expect)> {
    use Expect::*;
    let s = |text: &str| text.to_owned();
    vec![
        ("accents missing", s("ecole musique"), Top3("ecoles")),
        ("accents and case", s("L'ÉCOLE"), Top3("ecoles")),
        ("French plural", s("écoles de musique"), Top3("ecoles")),
        (
            "French singular of a plural",
            s("abeille"),
            Top3("abeilles"),
        ),
        ("French conjugation", s("chantait pluie"), Top3("pluie")),
        ("French plural of a singular", s("fusées"), Top3("fusee")),
        (
            "French, words missing accents",
            s("fusee a eau"),
            Top3("fusee"),
        ),
        ("accent added", s("café racer"), Top3("cafe")),
        ("description word", s("conservatoires"), Top3("ecoles")),
        ("one typo", s("documantaire abeilles"), Top3("abeilles")),
        (
            "two typos in a long word",
            s("documantiare"),
            Top3("abeilles"),
        ),
        (
            "two edits in a long word",
            s("permaculteur"),
            Top3("permaculture"),
        ),
        ("one typo, deletion", s("marathn"), Top3("marathon")),
        ("one typo, short word", s("paela"), Top3("paella")),
        ("transposition", s("kntiting"), Top3("knitting")),
        ("tag only", s("permaculture"), Top3("permaculture")),
        (
            "channel display name",
            s("astronautes dimanche"),
            Channel("astronautes"),
        ),
        (
            "account display name",
            s("Claire Martin"),
            Channel("ecoles"),
        ),
        ("English conjugation", s("runs marathon"), Top3("marathon")),
        ("English plural", s("mountain run"), Top3("marathon")),
        ("English stems", s("cook pasta recipe"), Top3("pasta")),
        (
            "English past tense",
            s("knitted sweaters"),
            Top3("knitting"),
        ),
        (
            "English, close word",
            s("photograph night"),
            Top3("photography"),
        ),
        ("German stem", s("wanderung alpen"), Top3("wanderungen")),
        (
            "German umlaut missing",
            s("schonsten wanderungen"),
            Top3("wanderungen"),
        ),
        ("German umlaut", s("kase"), Top3("kaese")),
        ("German transliteration", s("kaese"), Top3("kaese")),
        ("Spanish plural", s("cancion playa"), Top3("canciones")),
        ("Spanish conjugation", s("cocinar paella"), Top3("paella")),
        ("Italian plural", s("ricetta nonna"), Top3("ricette")),
        (
            "Italian conjugation",
            s("riparando bicicletta"),
            Top3("biciclette"),
        ),
        (
            "Portuguese conjugation and accent",
            s("aprender violao"),
            Top3("violao"),
        ),
        ("Dutch stems", s("fiets polder"), Top3("fietsen")),
        ("Dutch plural", s("molen kinderdijk"), Top3("molens")),
        ("no language", s("aurora borealis"), Top3("unlabelled")),
        ("no language, plural", s("auroras"), Top3("unlabelled")),
        ("as you type", s("photog"), Top3("photography")),
        (
            "as you type, second word",
            s("night photo"),
            Top3("photography"),
        ),
        (
            "as you type, accents",
            s("wanderungen in den al"),
            Top3("wanderungen"),
        ),
        (
            "short uuid",
            corpus.short_uuids["knitting"].clone(),
            First("knitting"),
        ),
        (
            "uuid",
            corpus.uuid("molens").to_uppercase(),
            First("molens"),
        ),
        (
            "watch URL",
            format!("https://media.example/w/{}", corpus.short_uuids["paella"]),
            First("paella"),
        ),
    ]
}

async fn known_items_are_found_in_the_top_three(store: Store) {
    let corpus = seed(&store, known_items(), 300).await;
    let mut replica = Replica::open(&store).await;
    replica.settle().await;
    let key_of = |uuid: &str| {
        corpus
            .uuids
            .iter()
            .find(|(_, u)| u.as_str() == uuid)
            .map_or("filler", |(k, _)| *k)
    };
    let mut misses = Vec::new();
    for (why, search, expect) in cases(&corpus) {
        let results = replica
            .searcher
            .search_videos(&VideoQuery::text(&search))
            .unwrap();
        let top: Vec<&str> = results
            .hits
            .iter()
            .take(3)
            .map(|hit| key_of(&hit.item.uuid))
            .collect();
        let found = match &expect {
            Expect::Top3(key) => top.contains(key),
            Expect::First(key) => top.first() == Some(key),
            Expect::Channel(name) => {
                results.hits.len() >= 3
                    && results
                        .hits
                        .iter()
                        .take(3)
                        .all(|hit| hit.item.channel.as_ref().is_some_and(|c| c.name == *name))
            }
        };
        if !found {
            let names: Vec<&str> = results
                .hits
                .iter()
                .take(3)
                .map(|h| h.item.name.as_str())
                .collect();
            misses.push(format!("{why}: {search:?} → {names:?}"));
        }
    }
    assert!(
        misses.is_empty(),
        "missed known items:\n{}",
        misses.join("\n")
    );
}

async fn names_rank_above_descriptions(store: Store) {
    let corpus = seed(&store, known_items(), 50).await;
    let mut replica = Replica::open(&store).await;
    replica.settle().await;
    let results = replica
        .searcher
        .search_videos(&VideoQuery::text("abeilles"))
        .unwrap();
    let position = |key: &str| {
        results
            .hits
            .iter()
            .position(|hit| hit.item.uuid == corpus.uuid(key))
            .unwrap_or(usize::MAX)
    };
    assert_eq!(position("abeilles"), 0);
    assert!(position("abeilles-desc") > 0 && position("abeilles-desc") < usize::MAX);
    // A tag is found: "insectes" is a tag of one video and in no name or description.
    let tagged = replica
        .searcher
        .search_videos(&VideoQuery::text("insectes"))
        .unwrap();
    assert_eq!(tagged.hits[0].item.uuid, corpus.uuid("abeilles"));
}

store::backend_tests!(
    known_items_are_found_in_the_top_three,
    names_rank_above_descriptions
);
