"""The misconception catalogue: it validates, covers every stage, and each entry's detector finds
its claim in our own wordings and stays quiet on a correct statement that uses the same words.

Rows are (entry under test, family, text, expected id or None): a positive expects the entry among
the hits; a negative (None) expects no claim at all in the sentence.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from interviewer.rubrics.misconceptions import Misconception, scan, stage_of
from interviewer.session.claims import detect

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE, ERRORS = scan(ROOT / "rubrics" / "misconceptions", ROOT / "corpus")
ENTRIES: list[Misconception] = list(CATALOGUE.values())

R, C, S, G = "recommendation", "classification", "search", "rag"

# fmt: off
ROWS = [
("random_split_time_ordered", R, "We shuffle the interaction logs and hold out 10% at random as the test set.", True),
("random_split_time_ordered", C, "For evaluation I'd randomly split the labelled cases into train and validation.", True),
("random_split_time_ordered", R, "We avoid a random split and hold out the last week of logs as the test set, split by time.", False),
("labels_arrive_instantly", C, "The labels come in immediately after each decision, so we retrain on them every night.", True),
("labels_arrive_instantly", R, "Conversions are known right away, so any click without one is a negative label.", True),
("labels_arrive_instantly", C, "The labels are delayed by weeks, so we wait until they mature before training.", False),
("drop_blocked_examples_no_bias", C, "Cases the current system blocked have no outcome, so we simply drop them from training.", True),
("drop_blocked_examples_no_bias", C, "Removed items can just be excluded from the training set, that's fine.", True),
("drop_blocked_examples_no_bias", C, "If we drop the blocked cases it would bias the data, so we keep a small random sample unblocked.", False),
("downsampling_keeps_calibration", R, "We downsample negatives to 1:1 and the predicted probabilities stay the same.", True),
("downsampling_keeps_calibration", C, "After we oversample positives with SMOTE the scores are still calibrated, we use them as they are.", True),
("downsampling_keeps_calibration", R, "We downsample negatives, so the predicted probabilities are inflated and we correct them with the sampling rate.", False),
("clicks_are_ground_truth", R, "Clicks are the ground truth for what users want.", True),
("clicks_are_ground_truth", S, "We treat clicked results as clean labels of relevance.", True),
("clicks_are_ground_truth", S, "Clicks are a noisy label with strong position bias, so we debias them.", False),
("whole_documents_in_prompt", G, "We put the whole knowledge base into the prompt, the context window is big enough.", True),
("whole_documents_in_prompt", G, "Just paste the entire document into the LLM context for every question.", True),
("whole_documents_in_prompt", G, "We split each document into chunks and put only the top passages into the prompt.", False),
("deploy_to_everyone_at_once", R, "Once it's trained we deploy it to all users at once.", True),
("deploy_to_everyone_at_once", S, "We ship the new ranker to all traffic in one go.", True),
("deploy_to_everyone_at_once", R, "We roll out to all users only after a canary and a ramp.", False),
("gpus_make_latency_irrelevant", R, "Latency doesn't matter much, we just add more GPUs.", True),
("gpus_make_latency_irrelevant", S, "With more machines it will be fast enough, so latency is not a concern.", True),
("gpus_make_latency_irrelevant", R, "Even with GPUs the latency budget is tight, so we distill the model to stay under p99.", False),
("average_latency_is_the_target", R, "We keep the average latency under 100 ms.", True),
("average_latency_is_the_target", G, "The target is a mean response time of two seconds.", True),
("average_latency_is_the_target", R, "We track p99 latency, not the average, against the budget.", False),
("canary_measures_business_impact", R, "The canary will show whether the new model improves engagement.", True),
("canary_measures_business_impact", C, "We run a canary to measure the business impact of the model.", True),
("canary_measures_business_impact", R, "The canary only catches errors and latency regressions, it says nothing about impact.", False),
("nightly_batch_is_enough_for_feed", R, "A nightly batch job precomputes recommendations for every user, and that's enough.", True),
("nightly_batch_is_enough_for_feed", R, "Precomputing the feed once a day is sufficient for everyone.", True),
("nightly_batch_is_enough_for_feed", R, "Nightly batch recommendations get stale, so session features are ranked online.", False),
("permission_filter_after_retrieval", S, "After retrieval we filter out the results the user has no permission to see.", True),
("permission_filter_after_retrieval", G, "We drop the chunks the user lacks access rights to at the end, after the top-k comes back.", True),
("permission_filter_after_retrieval", S, "The permission filter is applied inside the index during retrieval, before the top-k.", False),
("reuse_old_embeddings_after_retraining", S, "When we retrain the encoder we keep the old embeddings in the index and only embed new documents.", True),
("reuse_old_embeddings_after_retraining", R, "The existing item vectors stay in the index after retraining the tower.", True),
("reuse_old_embeddings_after_retraining", S, "After retraining we rebuild the index so every vector comes from the same model version.", False),
("ship_full_model_on_device", R, "We ship the full server model to phones as is.", True),
("ship_full_model_on_device", S, "On device we run the same model as on the server, unchanged.", True),
("ship_full_model_on_device", R, "For phones we quantize and distill the model before running it on device.", False),
("accuracy_on_rare_positives", C, "Our main metric will be accuracy on the holdout set.", True),
("accuracy_on_rare_positives", R, "We evaluate the click model by accuracy, it reaches 99%.", True),
("accuracy_on_rare_positives", C, "Accuracy is misleading with rare positives, so we report precision and recall.", False),
("roc_auc_alone_for_rare_positives", C, "ROC-AUC alone is enough to evaluate the detector.", True),
("roc_auc_alone_for_rare_positives", C, "The main metric is AUC, that's the metric we report.", True),
("roc_auc_alone_for_rare_positives", C, "ROC AUC is not enough at this imbalance, we add PR-AUC and precision at fixed recall.", False),
("offline_gain_means_no_online_test", R, "If the offline AUC improves we ship it straight away.", True),
("offline_gain_means_no_online_test", S, "The new model beats the old one on NDCG offline, so we can launch it.", True),
("offline_gain_means_no_online_test", R, "When the offline AUC improves we launch an A/B test first to confirm it online.", False),
("bleu_rouge_measure_bot_correctness", G, "We measure answer correctness with BLEU against the reference answers.", True),
("bleu_rouge_measure_bot_correctness", G, "ROUGE-L tells us the quality of the bot's answers.", True),
("bleu_rouge_measure_bot_correctness", G, "BLEU correlates poorly with correctness, so humans grade answers with a rubric.", False),
("llm_judge_needs_no_human_check", G, "An LLM judge is enough, we don't need human labels.", True),
("llm_judge_needs_no_human_check", G, "We can trust the judge model scores without any review.", True),
("llm_judge_needs_no_human_check", G, "We use an LLM judge but validate it against human labels on a sample.", False),
("one_global_threshold", C, "We use one threshold for every market.", True),
("one_global_threshold", C, "A single global cutoff across all categories keeps it simple.", True),
("one_global_threshold", C, "The threshold differs per category and per market depending on the cost.", False),
("aggregate_metric_is_enough", R, "The overall metric is all we need to compare models.", True),
("aggregate_metric_is_enough", S, "We just look at the aggregate NDCG, that's fine.", True),
("aggregate_metric_is_enough", R, "The overall metric can hide regressions, so we also break it down per segment.", False),
("stop_ab_test_at_significance", R, "We stop the A/B test as soon as it's significant.", True),
("stop_ab_test_at_significance", S, "Once the p-value hits 0.05 we end the experiment early.", True),
("stop_ab_test_at_significance", R, "We don't stop when it hits significance; the sample size is fixed by a power analysis.", False),
("future_information_in_features", C, "The features use the account's full history, including events after the decision.", True),
("future_information_in_features", R, "We compute the aggregates over the whole log, future clicks included.", True),
("future_information_in_features", C, "Every aggregate is computed point-in-time, as of the decision, to avoid leakage.", False),
("feature_logic_reimplemented_for_serving", R, "We'll reimplement the feature logic in Java for the online service.", True),
("feature_logic_reimplemented_for_serving", C, "The serving team rewrites the preprocessing pipeline for production.", True),
("feature_logic_reimplemented_for_serving", R, "We don't reimplement features for serving; a feature store shares the same code to avoid skew.", False),
("drop_rows_with_missing_values", R, "We drop all rows with missing values before training.", True),
("drop_rows_with_missing_values", C, "Rows with null fields get removed from the dataset.", True),
("drop_rows_with_missing_values", R, "Instead of dropping rows with missing values we impute the median and add an indicator flag.", False),
("no_scaling_for_neural_nets", R, "For the neural network there's no need to scale the numeric features.", True),
("no_scaling_for_neural_nets", C, "We feed raw amounts straight into the deep model, normalisation isn't needed.", True),
("no_scaling_for_neural_nets", R, "The neural network needs scaled inputs, so we log-transform and normalise the counts.", False),
("one_hot_high_cardinality_ids", R, "We one-hot encode the user ids and item ids.", True),
("one_hot_high_cardinality_ids", C, "Account ids go in as a one-hot vector.", True),
("one_hot_high_cardinality_ids", R, "Item ids get learned embeddings instead of one-hot, since one-hot explodes.", False),
("target_encoding_on_full_data", R, "We compute the target encoding over the full training data.", True),
("target_encoding_on_full_data", C, "Mean encoding for the category uses all the rows.", True),
("target_encoding_on_full_data", R, "Target encoding is computed out-of-fold with smoothing so it doesn't leak.", False),
("more_features_always_better", R, "More features are always better, so we add every signal we log.", True),
("more_features_always_better", C, "Every feature helps, so we put everything we have in the model.", True),
("more_features_always_better", R, "More features are not always better; each one has a cost and a skew risk.", False),
("ctr_is_the_whole_objective", R, "The goal is to maximise click-through rate.", True),
("ctr_is_the_whole_objective", R, "We optimise the ranking for clicks, that's the objective.", True),
("ctr_is_the_whole_objective", R, "We don't just maximise clicks; the objective combines them with long-term satisfaction.", False),
("clicks_equal_watch_time", R, "Clicks basically match watch time, so a click label is fine.", True),
("clicks_equal_watch_time", S, "If they clicked it they liked it, clicks are the same as satisfaction.", True),
("clicks_equal_watch_time", R, "Clicks don't match satisfaction, clickbait gets clicks and then a quick exit.", False),
("pymk_success_is_clicks", R, "Success for people you may know is the click-through rate on suggestions.", True),
("pymk_success_is_clicks", R, "We measure PYMK by clicks on the cards.", True),
("pymk_success_is_clicks", R, "PYMK success is not clicks but requests that get accepted.", False),
("moderation_single_label", C, "It's a multi-class softmax that picks the single harm category for the post.", True),
("moderation_single_label", C, "Each piece of content gets a single label for the policy it breaks.", True),
("moderation_single_label", C, "It's multi-label, a sigmoid per policy, because content can break several policies.", False),
("search_no_click_is_failure", S, "A search with no click is a failure.", True),
("search_no_click_is_failure", S, "Every zero-click session counts as a failed search.", True),
("search_no_click_is_failure", S, "A search with no click is not necessarily a failure, the snippet may have answered it.", False),
("deflection_rate_alone", G, "Deflection rate is the only metric we need.", True),
("deflection_rate_alone", G, "Success is just the share of chats deflected from agents.", True),
("deflection_rate_alone", G, "Deflection can be gamed, so we track it along with CSAT and repeat contacts.", False),
("fine_tuning_removes_need_for_retrieval", G, "We fine-tune the model on our articles so it won't hallucinate.", True),
("fine_tuning_removes_need_for_retrieval", G, "After fine-tuning on the help content we don't need retrieval.", True),
("fine_tuning_removes_need_for_retrieval", G, "Fine-tuning alone doesn't stop hallucination, so we still ground answers with retrieval.", False),
("heavy_model_scores_whole_catalogue", R, "The deep ranker scores every item in the catalogue for each user.", True),
("heavy_model_scores_whole_catalogue", S, "We run the cross-encoder over all documents in the corpus per query.", True),
("heavy_model_scores_whole_catalogue", R, "The ranker only scores the few hundred items retrieved from the whole catalogue.", False),
("bigger_model_or_more_data_fixes_it", R, "A bigger model will always fix that.", True),
("bigger_model_or_more_data_fixes_it", C, "More data will always fix it.", True),
("bigger_model_or_more_data_fixes_it", R, "A bigger model doesn't always fix it; error analysis often shows label noise.", False),
("baseline_is_a_waste_of_time", R, "A baseline is a waste of time, let's go straight to the deep model.", True),
("baseline_is_a_waste_of_time", C, "I'd skip the logistic regression baseline.", True),
("baseline_is_a_waste_of_time", R, "We start with a simple baseline first so the deep model has a bar to beat.", False),
("embedding_similarity_is_relevance", S, "We rank purely by cosine similarity, that's the relevance.", True),
("embedding_similarity_is_relevance", G, "The nearest neighbours are the final results, similarity is enough.", True),
("embedding_similarity_is_relevance", S, "Cosine similarity only gives candidates; a cross-encoder re-ranks them for relevance.", False),
("model_replaces_rules_engine", C, "Once the model is live we retire the rules engine.", True),
("model_replaces_rules_engine", C, "The model replaces the hand-written rules.", True),
("model_replaces_rules_engine", C, "The model doesn't replace the rules; we keep the rules alongside as a backstop.", False),
("llm_executes_actions_directly", G, "The LLM decides by itself whether to issue a refund.", True),
("llm_executes_actions_directly", G, "The assistant can cancel orders directly when a customer asks.", True),
("llm_executes_actions_directly", G, "The LLM only proposes a refund, and a deterministic backend checks eligibility and issues it.", False),
("cold_start_not_an_issue", R, "Cold start isn't an issue for us.", True),
("cold_start_not_an_issue", S, "New items are not a problem, the model handles them.", True),
("cold_start_not_an_issue", R, "Cold start is a real problem, so new items get a content-based prior and some exploration.", False),
("monitor_only_system_metrics", R, "Monitoring CPU, memory and latency is enough.", True),
("monitor_only_system_metrics", G, "If latency and error rates look normal we're fine.", True),
("monitor_only_system_metrics", R, "Latency and errors are not enough, we also watch the score distribution and drift.", False),
("model_never_needs_retraining", R, "We train the model once and it stays accurate.", True),
("model_never_needs_retraining", C, "It has seen enough variety that it won't need retraining.", True),
("model_never_needs_retraining", R, "We retrain weekly and trigger an extra retrain when drift shows up.", False),
("feedback_loops_not_a_concern", R, "Feedback loops aren't a concern here.", True),
("feedback_loops_not_a_concern", S, "There's no feedback loop issue since users make their own choice.", True),
("feedback_loops_not_a_concern", R, "Feedback loops are a concern, so we keep a small randomised exploration slice.", False),
("fraud_precision_monitored_live", C, "We track precision and recall daily on a dashboard.", True),
("fraud_precision_monitored_live", C, "Recall is monitored in real time.", True),
("fraud_precision_monitored_live", C, "Recall can't be tracked daily because labels are delayed, so we monitor proxies and backfill.", False),
("index_built_once", G, "We build the index once at launch.", True),
("index_built_once", S, "The vector store is static, it doesn't need updating.", True),
("index_built_once", G, "The index is refreshed incrementally whenever an article changes.", False),
("auto_deploy_retrained_models", R, "Every night the retrained model gets deployed automatically.", True),
("auto_deploy_retrained_models", C, "The new model is pushed straight to production after training.", True),
("auto_deploy_retrained_models", R, "The retrained model is deployed automatically only after it passes validation checks.", False),
("stable_inputs_mean_healthy_model", R, "If the input distributions are stable, the model is fine.", True),
("stable_inputs_mean_healthy_model", C, "The feature distributions haven't changed, so the model is fine.", True),
("stable_inputs_mean_healthy_model", C, "Inputs can look stable while the labels shift, so stable features don't prove the model is fine.", False),
("skip_clarification_start_with_model", R, "Let's skip the questions and jump straight to the model architecture.", True),
("skip_clarification_start_with_model", G, "I'd go straight to the LLM design.", True),
("skip_clarification_start_with_model", R, "Before the model, let me clarify the goal and state my assumptions.", False),
("fraud_scored_in_batch", C, "We score the transactions in a nightly batch.", True),
("fraud_scored_in_batch", C, "The fraud model runs hourly over the payments.", True),
("fraud_scored_in_batch", C, "Fraud has to be scored in real time at authorisation, within milliseconds.", False),
("privacy_not_a_concern", R, "Privacy isn't a concern since it's our own data.", True),
("privacy_not_a_concern", S, "PII is not an issue here.", True),
("privacy_not_a_concern", R, "Privacy is a concern, we must minimise the personal data we keep.", False),
("symmetric_error_costs", C, "False positives and false negatives cost the same.", True),
("symmetric_error_costs", C, "All mistakes are equally bad.", True),
("symmetric_error_costs", C, "False negatives cost far more than false positives, the costs are asymmetric.", False),
("escalation_is_failure", G, "Every escalation to a human is a failure.", True),
("escalation_is_failure", G, "The goal is zero handoffs to agents.", True),
("escalation_is_failure", G, "When the bot is unsure it should escalate to a human instead of guessing.", False),
("internal_search_no_access_control", S, "It's internal, so we don't need access control.", True),
("internal_search_no_access_control", G, "Everyone is an employee, so permissions are not needed.", True),
("internal_search_no_access_control", S, "Even internally we must enforce permissions and filter what each employee can see.", False),
("user_reports_are_ground_truth", C, "User reports are ground truth, so every reported case is a positive.", True),
("user_reports_are_ground_truth", C, "We treat the flags users send as the true labels.", True),
("user_reports_are_ground_truth", C, "User reports are noisy and biased, so reviewers decide the labels.", False),
("dense_retrieval_replaces_lexical", S, "Dense retrieval is strictly better, so we retire the BM25 index.", True),
("dense_retrieval_replaces_lexical", G, "Once the vector search works we can drop the keyword index.", True),
("dense_retrieval_replaces_lexical", S, "We keep BM25 alongside the dense retriever, since exact codes need lexical match.", False),
("outcome_columns_as_features", C, "We add the chargeback flag from the payments table as a feature, it's very predictive.", True),
("outcome_columns_as_features", C, "The reviewer's final decision on each account goes in as an input.", True),
("outcome_columns_as_features", C, "The chargeback flag is the label; features only use the card's past chargeback history as of the payment.", False),
("snapshot_values_joined_to_history", R, "We join today's view count onto every historical row.", True),
("snapshot_values_joined_to_history", C, "Take the current snapshot of the account table and attach it to each training example.", True),
("snapshot_values_joined_to_history", R, "Counts are joined onto historical rows as of the impression time, never today's values.", False),
("premature_negative_labels", R, "A suggestion whose invite is not accepted within 24 hours is a negative.", True),
("premature_negative_labels", C, "Payments with no chargeback after a day are labelled legit.", True),
("premature_negative_labels", R, "Invites not accepted within 24 hours are not negatives yet; we wait 14 days before labelling.", False),
("raw_tickets_into_index", G, "The agent replies in old tickets are verified, so we dump all of them straight into the index.", True),
("raw_tickets_into_index", G, "Every past chat transcript goes into the vector store as is.", True),
("raw_tickets_into_index", G, "Old tickets go into the index only after we redact personal data and filter out outdated answers.", False),
("no_labels_so_unsupervised", C, "There are no fraud labels anyway, so it's unsupervised anomaly detection.", True),
("no_labels_so_unsupervised", C, "We don't have labelled data, so I'd cluster the accounts and flag the outliers.", True),
("no_labels_so_unsupervised", C, "Chargebacks give us labels, and an anomaly score is added as a feature for new patterns.", False),
("dwell_time_equals_satisfaction", R, "The longer someone stays on a post the more they liked it, so time spent is the cleanest signal.", True),
("dwell_time_equals_satisfaction", R, "Dwell time is a perfect measure of satisfaction.", True),
("dwell_time_equals_satisfaction", R, "Dwell time is a useful label but noisy, so we cap it and combine it with likes and hides.", False),
("calibration_not_needed_for_auction", R, "The auction only needs to sort ads, so the raw scores don't need to be calibrated.", True),
("calibration_not_needed_for_auction", R, "For ads, calibration doesn't matter, only the ranking does.", True),
("calibration_not_needed_for_auction", R, "The auction multiplies bid by pCTR, so the scores must be calibrated and we track log loss.", False),
("ab_users_independent_in_network", R, "Users are independent units, so a standard t-test per user is fine.", True),
("ab_users_independent_in_network", R, "Treatment and control don't interact since each user only sees their own feed.", True),
("ab_users_independent_in_network", R, "Users are not independent here, so we randomise by graph cluster.", False),
("online_test_reads_delayed_labels_early", C, "Run the test for a week and compare chargeback rates between the arms.", True),
("online_test_reads_delayed_labels_early", C, "After a few days we look at the fraud rate in each arm and pick the winner.", True),
("online_test_reads_delayed_labels_early", C, "During the week-long test we compare decline rates as a proxy and read chargebacks once they mature.", False),
("mean_similarity_as_quality_metric", S, "We score each model by the average cosine similarity between the query and its top results.", True),
("mean_similarity_as_quality_metric", G, "A higher mean similarity of the retrieved passages is our offline metric.", True),
("mean_similarity_as_quality_metric", S, "Offline we measure recall@k on judged pairs, not the average similarity.", False),
("review_queue_is_representative", C, "The reviewer-labelled queue is representative, so recall there equals production recall.", True),
("review_queue_is_representative", C, "The review queue reflects everything posted, so it is our test set.", True),
("review_queue_is_representative", C, "The review queue is biased toward reported items, so recall is measured on a random sample.", False),
("tune_on_test_set", R, "We tune the hyperparameters on the test set and report the best score.", True),
("tune_on_test_set", C, "Pick the threshold that maximises F1 on the test data.", True),
("tune_on_test_set", C, "We tune the threshold on the validation set and touch the test set only once at the end.", False),
("no_guardrail_metrics", R, "We only look at the primary metric, no guardrails needed.", True),
("no_guardrail_metrics", S, "Guardrail metrics are overkill, if clicks go up we ship.", True),
("no_guardrail_metrics", R, "We always include guardrail metrics such as hides and latency.", False),
("hardest_negatives_always_help", S, "More and harder negatives never hurts, so take the nearest non-match every time.", True),
("hardest_negatives_always_help", R, "Always use the hardest negatives, they are the best negatives.", True),
("hardest_negatives_always_help", S, "Hard negatives help, but the nearest ones are often false negatives, so we mix them with random negatives.", False),
("prompt_instruction_prevents_hallucination", G, "We tell it in the system prompt not to hallucinate, that solves it.", True),
("prompt_instruction_prevents_hallucination", G, "The prompt says never invent anything, so it won't make things up.", True),
("prompt_instruction_prevents_hallucination", G, "The instruction to stay on the sources helps, but we still check citations against the retrieved passages.", False),
("temperature_zero_prevents_hallucination", G, "With temperature 0 it can't hallucinate.", True),
("temperature_zero_prevents_hallucination", G, "Greedy decoding means the answers are always correct, so we drop the citation check.", True),
("temperature_zero_prevents_hallucination", G, "Temperature 0 makes answers consistent but doesn't stop hallucination.", False),
("full_recompute_is_cheap", R, "It's only a 2-hop join, so the full recompute is cheap.", True),
("full_recompute_is_cheap", G, "Re-embedding the whole corpus every day costs nothing.", True),
("full_recompute_is_cheap", R, "A full recompute is expensive, so we recompute incrementally for members whose graph changed.", False),
("access_checked_only_on_open", S, "Show the title and snippet anyway; the viewer blocks restricted docs when they click through.", True),
("access_checked_only_on_open", G, "Private documents still appear in the results, access is checked when opened.", True),
("access_checked_only_on_open", S, "Restricted documents never show up in results; permissions are filtered before ranking.", False),
("model_decisions_fed_back_as_labels", C, "For the payments we decline, we feed them back as positives.", True),
("model_decisions_fed_back_as_labels", C, "Everything the model removed goes back into training as a harmful example.", True),
("model_decisions_fed_back_as_labels", C, "Declined payments are not used as positives; only confirmed chargebacks become labels.", False),
("exploration_not_needed", R, "There's no need for exploration, the model already knows what users like.", True),
("exploration_not_needed", S, "We skip the bandit stuff entirely, exploration is a waste.", True),
("exploration_not_needed", R, "We keep a small exploration budget so new items get impressions.", False),
("prompt_injection_not_a_concern", G, "The bot only reads our own articles, so prompt injection isn't a concern.", True),
("prompt_injection_not_a_concern", G, "Jailbreaks aren't really a risk for a support bot.", True),
("prompt_injection_not_a_concern", G, "Prompt injection is a real concern, so retrieved text is treated as untrusted and filtered.", False),
("fairness_not_a_concern", C, "Fairness isn't really a concern for this system.", True),
("fairness_not_a_concern", R, "Fairness is out of scope, the model only sees behaviour.", True),
("fairness_not_a_concern", C, "Fairness is a concern, so we measure error rates per language and region.", False),
("human_review_turned_off", C, "Once precision is high enough we turn off human review entirely.", True),
("human_review_turned_off", C, "After launch the model replaces the review team.", True),
("human_review_turned_off", C, "Reviewers stay on the borderline band and appeals, only high scores are removed automatically.", False),
("skew_not_a_concern", R, "Skew isn't really a worry since it's literally the same model file offline and online.", True),
("skew_not_a_concern", C, "No need to think about training-serving skew here.", True),
("skew_not_a_concern", R, "Skew is the risk with two code paths, so we log the served features and compare them nightly.", False),
("label_noise_not_a_concern", C, "The reviewers are trained on the policy, so I wouldn't spend engineering time on label noise.", True),
("label_noise_not_a_concern", R, "Noisy labels don't really matter at this volume.", True),
("label_noise_not_a_concern", C, "Reviewers disagree on borderline posts, so we measure agreement on a gold set and adjudicate.", False),
("leakage_not_a_concern", R, "Leakage isn't an issue with this much data.", True),
("leakage_not_a_concern", C, "There's no leakage risk here, all features come from our own tables.", True),
("leakage_not_a_concern", C, "To make sure there's no leakage we split by time and build features as of the decision.", False),
("drift_cannot_happen", G, "The LLM weights are frozen, so there's nothing that can drift.", True),
("drift_cannot_happen", S, "Drift isn't really a concern for an internal search tool.", True),
("drift_cannot_happen", G, "The model is frozen but the documents change, so we monitor drift in the query mix and alert on it.", False),
("feedback_loops_not_a_concern", R, "Feedback loops aren't really a thing here, members decide themselves who to invite.", True),
("calibration_not_needed_for_auction", R, "The auction only needs the order, so whether the ads' probabilities are calibrated doesn't really matter.", True),
("baseline_is_a_waste_of_time", R, "I wouldn't waste time benchmarking against the current hand-tuned ranker.", True),
]
# fmt: on

TABLE = [
    (entry, family, text, entry if positive else None) for entry, family, text, positive in ROWS
]


def test_catalogue_validates() -> None:
    assert ERRORS == []
    assert len(CATALOGUE) >= 40
    per_stage = Counter(stage_of(i) for i in CATALOGUE)
    assert len(per_stage) == 8, per_stage
    assert min(per_stage.values()) >= 4, per_stage


def test_table_covers_every_entry() -> None:
    pos = Counter(e for e, _, _, want in TABLE if want)
    neg = Counter(e for e, _, _, want in TABLE if want is None)
    for entry in CATALOGUE:
        assert pos[entry] >= 2, f"{entry}: {pos[entry]} positives"
        assert neg[entry] >= 1, f"{entry}: no negative"
    assert not set(pos) - set(CATALOGUE), set(pos) - set(CATALOGUE)


@pytest.mark.parametrize(("entry", "family", "text", "expected"), TABLE)
def test_detects_claim(entry: str, family: str, text: str, expected: str | None) -> None:
    assert family in CATALOGUE[entry].families
    found = [h.misconception for h in detect(text, ENTRIES, family)]
    if expected is None:
        assert found == [], f"{text!r} is correct but reads as {found}"
    else:
        assert expected in found, f"{text!r} not read as {expected} (found {found})"


def test_a_question_is_not_a_claim_by_meaning_alone() -> None:
    # One key-term group short, a unit may still make the claim by meaning; a question does not.
    asked = "Latency budget for the whole list?"
    assert "average_latency_is_the_target" not in [
        h.misconception for h in detect(asked, ENTRIES, "recommendation")
    ]
    # every key term present, the claim stands even as a hedge
    hedged = "we keep the average latency under 100 ms?"
    assert "average_latency_is_the_target" in [
        h.misconception for h in detect(hedged, ENTRIES, "recommendation")
    ]


def test_a_left_out_veto_term_does_not_mark_the_correct_version() -> None:
    # "skip the ANN step" names the correct version's term only to leave it out
    skipped = "We skip the ANN step and just run the cross-encoder against every document."
    assert "heavy_model_scores_whole_catalogue" in [
        h.misconception for h in detect(skipped, ENTRIES, "search")
    ]
    kept = "ANN gives a few hundred candidates and the cross-encoder scores every one of them."
    assert [h.misconception for h in detect(kept, ENTRIES, "search")] == []


def test_a_question_by_its_form_claims_nothing() -> None:
    # all the key terms, but the unit asks (after a joining word too)
    asked = "and how long does the whole ad pick get, like what slice of that is mine for scoring"
    assert [h.misconception for h in detect(asked, ENTRIES, "recommendation")] == []
    stated = "The deep ranker scores every item in the catalogue for each user."
    assert "heavy_model_scores_whole_catalogue" in [
        h.misconception for h in detect(stated, ENTRIES, "recommendation")
    ]


@pytest.mark.parametrize(
    ("text", "dismissed"),
    [
        ("feedback loops aren't really a thing here", True),
        ("calibration doesn't really matter for us", True),
        ("I wouldn't waste time on a baseline", True),
        ("privacy is out of scope", True),
        ("guardrails are overkill", True),
        ("calibration is a nice-to-have here", True),
        ("a shadow run is optional", True),
        ("I'd monitor drift so it doesn't become a problem", False),
        ("to make sure there's no issue we split by time", False),
        ("we need a calibrated p(click)", False),
        ("the model doesn't replace the rules", False),
    ],
)
def test_one_dismissal_grammar_for_every_duty(text: str, dismissed: bool) -> None:
    """How a duty is waved away is one shared grammar, not a phrase list per entry; a denial
    that is the design's aim ("so it doesn't become a problem") dismisses nothing."""
    from interviewer.grading.text import stems
    from interviewer.session.claims import dismissals

    assert bool(dismissals(stems(text))) is dismissed


def test_a_duty_named_without_a_dismissal_is_never_a_claim_by_meaning() -> None:
    """Sentence embeddings barely see a negation: a unit that names the duty and keeps it must
    not reach the meaning path of an entry that needs it dismissed."""
    found = detect("For the ads auction we need calibrated click probabilities.", ENTRIES, R)
    assert "calibration_not_needed_for_auction" not in [h.misconception for h in found]


def test_a_detector_with_nothing_to_find_is_a_clear_error() -> None:
    from interviewer.rubrics.misconceptions import parse_misconception_source

    src = """stage: data
misconceptions:
  - id: empty_detector
    claim: Something wrong.
    says: [something wrong]
    detect:
      none_of: [right]
    challenge: What would you check?
    correction: The right thing.
    cite: 03-data.md#Label delay, noise and bias
"""
    model, errors = parse_misconception_source(src, "data.yaml")
    assert model is None
    assert any("all_of groups, dismisses terms or both" in e for e in errors), errors


def test_a_claim_about_another_stage_is_said_in_one_clause() -> None:
    """Outside its own stage an entry needs its parts within a few words of each other: a data
    answer that logs suggestions and, a dozen words later, counts clicks claims nothing about
    how PYMK is judged; the claim said in one clause is heard in any stage."""
    assert stage_of("pymk_success_is_clicks") == "framing"
    said = "Success for people you may know is the click-through rate on suggestions."
    spread = (
        "For the suggestions we log every impression with its position and the surface it was "
        "on, and later we count the clicks per viewer."
    )
    for stage in ("framing", "data"):
        hits = [h.misconception for h in detect(said, ENTRIES, R, stage=stage)]
        assert "pymk_success_is_clicks" in hits
    assert "pymk_success_is_clicks" not in [
        h.misconception for h in detect(spread, ENTRIES, R, stage="data")
    ]


def test_a_veto_term_waved_away_does_not_mark_the_correct_version() -> None:
    """The word "time" marks a time-based split only when the candidate keeps it; waved away in the
    shared dismissal grammar right after it, the random split stands."""
    waved = "Then a random 80/10/10 split over the pairs, time doesn't matter much here."
    assert "random_split_time_ordered" in [
        h.misconception for h in detect(waved, ENTRIES, R, stage="data")
    ]
    kept = "Then a random 80/10/10 split over the pairs, no: time matters here, split by day."
    assert "random_split_time_ordered" not in [
        h.misconception for h in detect(kept, ENTRIES, R, stage="data")
    ]


def test_a_word_of_absence_denies_what_it_stands_before() -> None:
    """'resolved-without-human rate, guardrails CSAT' denies the human, not the guardrails."""
    listed = "primary = resolved-without-human rate, guardrails CSAT, escalation rate and cost"
    assert [h.misconception for h in detect(listed, ENTRIES, "rag", stage="evaluation")] == []
    denied = "No guardrails in the test, the resolution rate is the only number we watch."
    assert "no_guardrail_metrics" in [
        h.misconception for h in detect(denied, ENTRIES, "rag", stage="evaluation")
    ]


def test_words_and_meaning_must_agree() -> None:
    """Every group's words are there, but an exploration holdout of live traffic means nothing
    like a random train/test split: the words alone would challenge it, words and meaning
    together do not."""
    text = "keep a small random holdout of would-be declines approved so they get labels"
    by_words = detect(text, ENTRIES, "classification", stage="data", use_meaning=False)
    assert "random_split_time_ordered" in [h.misconception for h in by_words]
    both = detect(text, ENTRIES, "classification", stage="data")
    assert "random_split_time_ordered" not in [h.misconception for h in both]


def test_a_heading_or_a_bare_term_claims_nothing_by_meaning() -> None:
    """A unit one group short is heard by meaning only when it says more than a topic: a
    heading is as close to the wrong claim about its topic as to the right one."""
    for heading in ("Privacy", "retraining", "latency / errors"):
        assert detect(heading, ENTRIES, R, stage="monitoring") == [], heading


def test_a_veto_term_inside_the_claims_own_words_marks_nothing() -> None:
    """ "as of" marks a point-in-time join, but not inside "as of today", the snapshot itself."""
    text = (
        "I'd compute the chargeback counts from the full table as of today and join them onto "
        "every training row"
    )
    found = detect(text, ENTRIES, "classification", stage="features")
    assert "snapshot_values_joined_to_history" in [h.misconception for h in found]
    kept = "chargeback counts as of each payment's timestamp, joined point in time onto every row"
    assert detect(kept, ENTRIES, "classification", stage="features") == []
