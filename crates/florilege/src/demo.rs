//! The demo's editorial content: themes and selections written as an editor would, filled from what the crawl found.

use index::{Searcher, VideoQuery};
use store::{NewSelection, SelectionEdit, SelectionStatus, Store, ThemeInput};

/// A theme of the demo.
struct DemoTheme {
    name: &'static str,
    description: &'static str,
}

const THEMES: &[DemoTheme] = &[
    DemoTheme {
        name: "Cuisine & savoir-faire",
        description: "Du pain au levain aux confitures de grand-mère : des gestes qu'on apprend mieux en les regardant.",
    },
    DemoTheme {
        name: "Nature & plein air",
        description: "Forêts, montagnes, jardins et abeilles, filmés par celles et ceux qui les connaissent.",
    },
    DemoTheme {
        name: "Music",
        description: "Songs, guitars and choirs from independent musicians across the federation.",
    },
];

/// A selection of the demo: its words, and the search that finds its videos.
struct DemoSelection {
    title: &'static str,
    summary: &'static str,
    body: &'static str,
    language: &'static str,
    search: &'static str,
    theme: usize,
    featured: bool,
    notes: &'static [&'static str],
}

const SELECTIONS: &[DemoSelection] = &[
    DemoSelection {
        title: "Du pain, des crêpes et des recettes",
        summary: "Nos vidéos préférées pour mettre la main à la pâte, sélectionnées par la rédaction.",
        body: "Les boulangeries de quartier et les cuisines familiales ont trouvé sur PeerTube \
               un endroit où partager leurs recettes **sans publicité ni algorithme**.\n\n\
               Cette sélection rassemble des vidéos courtes et généreuses : on y apprend à \
               nourrir un levain, à réussir une pâte à crêpes, et à ne pas avoir peur du four.",
        language: "fr",
        search: "pain crêpes recette boulangerie cuisine",
        theme: 0,
        featured: true,
        notes: &[
            "Le geste est clair, la recette est simple : idéal pour commencer.",
            "Une belle leçon de patience, à regarder avant de se lancer.",
            "Notre coup de cœur de la semaine.",
            "Court, précis et plein d'astuces.",
        ],
    },
    DemoSelection {
        title: "Jardins et forêts",
        summary: "Des vidéastes qui prennent le temps d'observer le vivant.",
        body: "Du potager à la forêt, ces vidéos montrent ce qu'on voit quand on ralentit. \
               Elles viennent d'instances associatives et personnelles de toute la fédération.",
        language: "fr",
        search: "jardin forêt montagne abeilles",
        theme: 1,
        featured: true,
        notes: &[
            "Des images magnifiques et un propos précis.",
            "Pour découvrir un savoir-faire qui se transmet.",
            "Un regard patient, loin des formats pressés.",
        ],
    },
    DemoSelection {
        title: "Gardens, bees and mountain trails",
        summary: "Slow, careful films about the living world, picked by our editors.",
        body: "These videos come from small instances run by associations and individuals. \
               None of them was made to chase views, and it shows.",
        language: "en",
        search: "garden bees mountain forest",
        theme: 1,
        featured: false,
        notes: &[
            "Quiet and beautifully shot.",
            "A good place to start if you are new to PeerTube.",
            "Practical and generous with its tips.",
        ],
    },
    DemoSelection {
        title: "Guitars and songs",
        summary: "Independent musicians who publish on their own terms.",
        body: "PeerTube lets musicians host their work without handing it to a platform. \
               Here are a few performances and lessons we keep coming back to.",
        language: "en",
        search: "guitar songs music",
        theme: 2,
        featured: false,
        notes: &[
            "A lovely performance, recorded at home.",
            "Clear explanations for beginners.",
            "Our favourite discovery this month.",
        ],
    },
];

/// Videos per selection.
const ITEMS: usize = 6;

/// Creates the demo's themes and published selections from the indexed videos.
/// Returns how many selections were published.
pub async fn seed_editorial(store: &Store, searcher: &Searcher) -> anyhow::Result<usize> {
    let mut theme_ids = Vec::new();
    for theme in THEMES {
        let created = store
            .create_theme(
                &ThemeInput {
                    name: theme.name,
                    description: theme.description,
                    ..ThemeInput::default()
                },
                None,
            )
            .await?;
        theme_ids.push(created.id);
    }
    let mut published = 0;
    for spec in SELECTIONS {
        let query = VideoQuery {
            count: ITEMS,
            language_one_of: vec![spec.language.to_owned()],
            ..VideoQuery::text(spec.search)
        };
        let searcher = searcher.clone();
        let hits = tokio::task::spawn_blocking(move || searcher.search_videos(&query)).await??;
        if hits.hits.is_empty() {
            continue;
        }
        let selection = store
            .create_selection(
                &NewSelection {
                    title: spec.title,
                    summary: spec.summary,
                    body: spec.body,
                    language: Some(spec.language),
                    ..NewSelection::default()
                },
                None,
            )
            .await?;
        for (hit, note) in hits.hits.iter().zip(spec.notes.iter().cycle()) {
            store
                .add_item(selection.id, hit.item.id, note, None, None)
                .await?;
        }
        let current = store
            .set_selection_themes(selection.id, &[theme_ids[spec.theme]], None, None)
            .await?;
        if spec.featured {
            let edit = SelectionEdit {
                slug: &current.slug,
                title: &current.title,
                summary: &current.summary,
                body: &current.body,
                language: current.language.as_deref(),
                featured: true,
                publish_at: None,
            };
            store
                .update_selection(selection.id, &edit, None, current.version)
                .await?;
        }
        store
            .set_selection_status(selection.id, SelectionStatus::Review, None, None)
            .await?;
        store
            .set_selection_status(selection.id, SelectionStatus::Published, None, None)
            .await?;
        published += 1;
    }
    Ok(published)
}
