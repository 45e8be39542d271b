WITH validated AS (
  SELECT
    `id` AS `id`,
    TRY_CAST(CASE
      WHEN NOT (
        ABS(TRY_CAST(`arpu` AS DECIMAL(38, 10))) >= 1000000000000000000
      )
      THEN TRY_CAST(`arpu` AS DECIMAL(38, 10))
    END AS DECIMAL(28, 10)) AS `arpu`,
    TRY_CAST(CASE
      WHEN NOT (
        ABS(TRY_CAST(`arpu_prev` AS DECIMAL(38, 10))) >= 1000000000000000000
      )
      THEN TRY_CAST(`arpu_prev` AS DECIMAL(38, 10))
    END AS DECIMAL(28, 10)) AS `arpu_prev`,
    TRY_CAST(CASE
      WHEN NOT (
        ABS(TRY_CAST(`arpu_3m` AS DECIMAL(38, 10))) >= 1000000000000000000
      )
      THEN TRY_CAST(`arpu_3m` AS DECIMAL(38, 10))
    END AS DECIMAL(28, 10)) AS `arpu_3m`,
    CASE
      WHEN NOT (
        `tenure_months` < -1000000000000000000 OR `tenure_months` > 1000000000000000000
      )
      THEN CAST(`tenure_months` AS BIGINT)
    END AS `tenure_months`,
    TRY_CAST(CASE
      WHEN NOT (
        ABS(TRY_CAST(`package_fee` AS DECIMAL(38, 10))) >= 1000000000000000000
      )
      THEN TRY_CAST(`package_fee` AS DECIMAL(38, 10))
    END AS DECIMAL(28, 10)) AS `package_fee`,
    `card` AS `card`,
    `status` AS `status`,
    CASE
      WHEN NOT (
        `birthday_month` < -1000000000000000000 OR `birthday_month` > 1000000000000000000
      )
      THEN CAST(`birthday_month` AS BIGINT)
    END AS `birthday_month`,
    NULLIF(
      CONCAT_WS(
        '; ',
        COALESCE(
          CASE WHEN `id` IS NULL THEN 'id: is required' END,
          CASE
            WHEN NOT `id` IS NULL
            THEN 'id: ' || CASE WHEN LENGTH(`id`) = 0 THEN 'must not be empty' END || ' (got ' || `id` || ')'
          END
        ),
        CASE
          WHEN NOT `arpu` IS NULL
          THEN 'arpu: ' || CASE
            WHEN FALSE
            THEN ''
            WHEN TRY_CAST(`arpu` AS DECIMAL(38, 10)) IS NULL
            THEN 'is not below 10^18 in magnitude'
            WHEN ABS(TRY_CAST(`arpu` AS DECIMAL(38, 10))) >= 1000000000000000000
            THEN 'is not below 10^18 in magnitude'
            WHEN TRY_CAST(`arpu` AS DECIMAL(38, 10)) < 0
            THEN 'must be greater than or equal to 0'
          END || ' (got ' || CASE WHEN CAST(`arpu` AS STRING) RLIKE 'E-' THEN concat(regexp_extract(CAST(`arpu` AS STRING), '^(-?)([0-9])[.]?([0-9]*)E-([0-9]+)$', 1), '0.', repeat('0', CAST(regexp_extract(CAST(`arpu` AS STRING), '^(-?)([0-9])[.]?([0-9]*)E-([0-9]+)$', 4) AS INT) - 1), regexp_extract(CAST(`arpu` AS STRING), '^(-?)([0-9])[.]?([0-9]*)E-([0-9]+)$', 2), regexp_extract(CAST(`arpu` AS STRING), '^(-?)([0-9])[.]?([0-9]*)E-([0-9]+)$', 3)) ELSE CAST(`arpu` AS STRING) END || ')'
        END,
        CASE
          WHEN NOT `arpu_prev` IS NULL
          THEN 'arpu_prev: ' || CASE
            WHEN FALSE
            THEN ''
            WHEN TRY_CAST(`arpu_prev` AS DECIMAL(38, 10)) IS NULL
            THEN 'is not below 10^18 in magnitude'
            WHEN ABS(TRY_CAST(`arpu_prev` AS DECIMAL(38, 10))) >= 1000000000000000000
            THEN 'is not below 10^18 in magnitude'
            WHEN TRY_CAST(`arpu_prev` AS DECIMAL(38, 10)) < 0
            THEN 'must be greater than or equal to 0'
          END || ' (got ' || CASE WHEN CAST(`arpu_prev` AS STRING) RLIKE 'E-' THEN concat(regexp_extract(CAST(`arpu_prev` AS STRING), '^(-?)([0-9])[.]?([0-9]*)E-([0-9]+)$', 1), '0.', repeat('0', CAST(regexp_extract(CAST(`arpu_prev` AS STRING), '^(-?)([0-9])[.]?([0-9]*)E-([0-9]+)$', 4) AS INT) - 1), regexp_extract(CAST(`arpu_prev` AS STRING), '^(-?)([0-9])[.]?([0-9]*)E-([0-9]+)$', 2), regexp_extract(CAST(`arpu_prev` AS STRING), '^(-?)([0-9])[.]?([0-9]*)E-([0-9]+)$', 3)) ELSE CAST(`arpu_prev` AS STRING) END || ')'
        END,
        CASE
          WHEN NOT `arpu_3m` IS NULL
          THEN 'arpu_3m: ' || CASE
            WHEN FALSE
            THEN ''
            WHEN TRY_CAST(`arpu_3m` AS DECIMAL(38, 10)) IS NULL
            THEN 'is not below 10^18 in magnitude'
            WHEN ABS(TRY_CAST(`arpu_3m` AS DECIMAL(38, 10))) >= 1000000000000000000
            THEN 'is not below 10^18 in magnitude'
            WHEN TRY_CAST(`arpu_3m` AS DECIMAL(38, 10)) < 0
            THEN 'must be greater than or equal to 0'
          END || ' (got ' || CASE WHEN CAST(`arpu_3m` AS STRING) RLIKE 'E-' THEN concat(regexp_extract(CAST(`arpu_3m` AS STRING), '^(-?)([0-9])[.]?([0-9]*)E-([0-9]+)$', 1), '0.', repeat('0', CAST(regexp_extract(CAST(`arpu_3m` AS STRING), '^(-?)([0-9])[.]?([0-9]*)E-([0-9]+)$', 4) AS INT) - 1), regexp_extract(CAST(`arpu_3m` AS STRING), '^(-?)([0-9])[.]?([0-9]*)E-([0-9]+)$', 2), regexp_extract(CAST(`arpu_3m` AS STRING), '^(-?)([0-9])[.]?([0-9]*)E-([0-9]+)$', 3)) ELSE CAST(`arpu_3m` AS STRING) END || ')'
        END,
        CASE
          WHEN NOT `tenure_months` IS NULL
          THEN 'tenure_months: ' || CASE
            WHEN `tenure_months` < -1000000000000000000 OR `tenure_months` > 1000000000000000000
            THEN 'is beyond +-10^18'
            WHEN `tenure_months` < 0
            THEN 'must be greater than or equal to 0'
          END || ' (got ' || CAST(`tenure_months` AS STRING) || ')'
        END,
        CASE
          WHEN NOT `package_fee` IS NULL
          THEN 'package_fee: ' || CASE
            WHEN FALSE
            THEN ''
            WHEN TRY_CAST(`package_fee` AS DECIMAL(38, 10)) IS NULL
            THEN 'is not below 10^18 in magnitude'
            WHEN ABS(TRY_CAST(`package_fee` AS DECIMAL(38, 10))) >= 1000000000000000000
            THEN 'is not below 10^18 in magnitude'
            WHEN TRY_CAST(`package_fee` AS DECIMAL(38, 10)) < 0
            THEN 'must be greater than or equal to 0'
          END || ' (got ' || CASE WHEN CAST(`package_fee` AS STRING) RLIKE 'E-' THEN concat(regexp_extract(CAST(`package_fee` AS STRING), '^(-?)([0-9])[.]?([0-9]*)E-([0-9]+)$', 1), '0.', repeat('0', CAST(regexp_extract(CAST(`package_fee` AS STRING), '^(-?)([0-9])[.]?([0-9]*)E-([0-9]+)$', 4) AS INT) - 1), regexp_extract(CAST(`package_fee` AS STRING), '^(-?)([0-9])[.]?([0-9]*)E-([0-9]+)$', 2), regexp_extract(CAST(`package_fee` AS STRING), '^(-?)([0-9])[.]?([0-9]*)E-([0-9]+)$', 3)) ELSE CAST(`package_fee` AS STRING) END || ')'
        END,
        CASE
          WHEN NOT `card` IS NULL
          THEN 'card: ' || CASE
            WHEN NOT (
              `card` IN ('none', 'silver', 'gold', 'diamond')
            )
            THEN 'must be one of none, silver, gold, diamond'
          END || ' (got ' || `card` || ')'
        END,
        CASE
          WHEN NOT `status` IS NULL
          THEN 'status: ' || CASE
            WHEN NOT (
              `status` IN ('active', 'suspended', 'pre_cancel')
            )
            THEN 'must be one of active, suspended, pre_cancel'
          END || ' (got ' || `status` || ')'
        END,
        CASE
          WHEN NOT `birthday_month` IS NULL
          THEN 'birthday_month: ' || CASE
            WHEN `birthday_month` < -1000000000000000000 OR `birthday_month` > 1000000000000000000
            THEN 'is beyond +-10^18'
            WHEN `birthday_month` < 1
            THEN 'must be greater than or equal to 1'
            WHEN `birthday_month` > 12
            THEN 'must be less than or equal to 12'
          END || ' (got ' || CAST(`birthday_month` AS STRING) || ')'
        END
      ),
      ''
    ) AS __error
  FROM customers
), stratum_1_when AS (
  SELECT
    `id`,
    `arpu`,
    `arpu_prev`,
    `arpu_3m`,
    `tenure_months`,
    `package_fee`,
    `card`,
    `status`,
    `birthday_month`,
    __error,
    CASE
      WHEN NOT (
        `card` = 'none'
      ) AND `arpu_3m` >= 500
      THEN 1
      WHEN NOT (
        `card` = 'none'
      ) AND (
        `arpu_3m` >= 200 AND `arpu_3m` < 500
      )
      THEN 2
      WHEN NOT (
        `card` = 'none'
      ) AND (
        `arpu_3m` >= 120 AND `arpu_3m` < 200
      )
      THEN 3
      WHEN NOT (
        `card` = 'none'
      ) AND `arpu_3m` < 120
      THEN 4
      WHEN `arpu_3m` >= 120
      THEN 5
      WHEN TRUE
      THEN 6
    END AS __hit_0
  FROM validated
), stratum_1_then AS (
  SELECT
    *,
    CASE __hit_0
      WHEN 1
      THEN 'diamond'
      WHEN 2
      THEN 'gold'
      WHEN 3
      THEN 'silver'
      WHEN 4
      THEN 'member'
      WHEN 5
      THEN 'mid_high'
      WHEN 6
      THEN 'ordinary'
      ELSE CAST(NULL AS STRING)
    END AS `tier`
  FROM stratum_1_when
), stratum_1 AS (
  SELECT
    `id`,
    `arpu`,
    `arpu_prev`,
    `arpu_3m`,
    `tenure_months`,
    `package_fee`,
    `card`,
    `status`,
    `birthday_month`,
    __error,
    `tier`,
    FILTER(
      ARRAY(
        CASE __hit_0
          WHEN 1
          THEN 'tier-by-card-and-arpu#1'
          WHEN 2
          THEN 'tier-by-card-and-arpu#2'
          WHEN 3
          THEN 'tier-by-card-and-arpu#3'
          WHEN 4
          THEN 'tier-by-card-and-arpu#4'
          WHEN 5
          THEN 'tier-by-card-and-arpu#5'
          WHEN 6
          THEN 'tier-by-card-and-arpu#6'
        END
      ),
      x -> NOT x IS NULL
    ) AS __s1_fired
  FROM stratum_1_then
), stratum_2_shared AS (
  SELECT
    `id`,
    `arpu`,
    `arpu_prev`,
    `arpu_3m`,
    `tenure_months`,
    `package_fee`,
    `card`,
    `status`,
    `birthday_month`,
    __error,
    `tier`,
    __s1_fired,
    `status` = 'active' AS __shared_2_0
  FROM stratum_1
), stratum_2_when AS (
  SELECT
    `id`,
    `arpu`,
    `arpu_prev`,
    `arpu_3m`,
    `tenure_months`,
    `package_fee`,
    `card`,
    `status`,
    `birthday_month`,
    __error,
    `tier`,
    __s1_fired,
    COALESCE(
      (
        `tier` = 'silver' AND __shared_2_0 AND `arpu_3m` >= 150 AND `package_fee` < 188
      ),
      FALSE
    ) AS __when_1,
    COALESCE((
      `tier` IN ('silver', 'mid_high') AND __shared_2_0
    ), FALSE) AS __when_2,
    COALESCE(
      (
        `arpu` < TRY_CAST(TRY_MULTIPLY(`arpu_prev`, CAST(0.8 AS DECIMAL(28, 10))) AS DECIMAL(28, 10))
        AND `tenure_months` >= 12
      ),
      FALSE
    ) AS __when_3,
    COALESCE(
      (
        `tier` IN ('member', 'mid_high', 'ordinary')
        AND __shared_2_0
        AND `tenure_months` >= 6
      ),
      FALSE
    ) AS __when_4,
    COALESCE((
      `tier` IN ('diamond', 'gold') AND NOT `birthday_month` IS NULL
    ), FALSE) AS __when_5
  FROM stratum_2_shared
), stratum_2_then AS (
  SELECT
    *,
    __when_1 AS __fired_1,
    __when_2 AND NOT __when_1 AS __fired_2,
    __when_3 AS __fired_3,
    CASE
      WHEN (
        ABS(`arpu_prev`) >= 1000000000 OR ABS(CAST(0.8 AS DECIMAL(28, 10))) >= 1000000000
      )
      AND TRY_CAST(TRY_MULTIPLY(`arpu_prev`, CAST(0.8 AS DECIMAL(28, 10))) AS DECIMAL(28, 10)) IS NULL
      AND NOT `arpu_prev` IS NULL
      THEN 'number overflow in \'spend-warning\': arpu_prev * 0.8 is beyond 18 digits before the point'
    END AS __err0_3,
    __when_4 AND NOT (
      __when_1 OR __when_2
    ) AS __fired_4,
    __when_5 AS __fired_5,
    CASE WHEN __fired_3 THEN 'warning' ELSE CAST('stable' AS STRING) END AS `trend`
  FROM stratum_2_when
), stratum_2 AS (
  SELECT
    `id`,
    `arpu`,
    `arpu_prev`,
    `arpu_3m`,
    `tenure_months`,
    `package_fee`,
    `card`,
    `status`,
    `birthday_month`,
    __error,
    `tier`,
    __s1_fired,
    __err0_3,
    __fired_4,
    `trend`,
    FILTER(
      ARRAY(
        CASE WHEN __fired_1 THEN 'prestore-golf' WHEN __fired_2 THEN 'prestore-lecture' END,
        CASE WHEN __fired_3 THEN 'spend-warning' END,
        CASE WHEN __fired_4 THEN 'trial-pack' END,
        CASE WHEN __fired_5 THEN 'birthday-care' END
      ),
      x -> NOT x IS NULL
    ) AS __s2_fired,
    FILTER(
      ARRAY(
        CASE
          WHEN __fired_1
          THEN 'prestore-golf'
          WHEN __fired_2
          THEN 'prestore-lecture'
          WHEN __fired_4
          THEN 'trial-pack'
        END
      ),
      x -> NOT x IS NULL
    ) AS __s2_offers,
    __fired_5 AS __s2_tag_0,
    __fired_3 AS __s2_tag_1
  FROM stratum_2_then
), access_modes AS (
  SELECT
    *,
    CASE
      WHEN CAST(`tier` AS STRING) IN ('diamond', 'gold')
      THEN ARRAY('free')
      ELSE CAST(ARRAY() AS ARRAY<STRING>)
    END AS __modes_0,
    CASE
      WHEN CAST(`tier` AS STRING) IN ('diamond', 'gold')
      THEN ARRAY('free')
      ELSE CAST(ARRAY() AS ARRAY<STRING>)
    END AS __modes_1,
    CASE
      WHEN CAST(`tier` AS STRING) IN ('diamond', 'gold')
      THEN ARRAY('free')
      ELSE CAST(ARRAY() AS ARRAY<STRING>)
    END AS __modes_2,
    CASE
      WHEN CAST(`tier` AS STRING) IN ('diamond', 'gold')
      THEN ARRAY('free')
      ELSE CAST(ARRAY() AS ARRAY<STRING>)
    END AS __modes_3,
    CASE
      WHEN CAST(`tier` AS STRING) IN ('diamond', 'gold')
      THEN ARRAY('free')
      ELSE CAST(ARRAY() AS ARRAY<STRING>)
    END AS __modes_4,
    CASE
      WHEN CAST(`tier` AS STRING) IN ('diamond', 'gold')
      THEN ARRAY('free')
      WHEN CAST(`tier` AS STRING) IN ('silver')
      THEN ARRAY('paid', 'prestore', 'trial')
      WHEN CAST(`tier` AS STRING) IN ('member', 'mid_high', 'ordinary')
      THEN ARRAY('paid', 'trial')
      ELSE CAST(ARRAY() AS ARRAY<STRING>)
    END AS __modes_5,
    CONCAT(
      CASE
        WHEN CAST(`tier` AS STRING) IN ('diamond', 'gold')
        THEN ARRAY('free')
        WHEN CAST(`tier` AS STRING) IN ('silver')
        THEN ARRAY('paid', 'prestore', 'trial')
        WHEN CAST(`tier` AS STRING) IN ('member', 'mid_high', 'ordinary')
        THEN ARRAY('paid', 'trial')
        ELSE CAST(ARRAY() AS ARRAY<STRING>)
      END,
      FILTER(
        ARRAY(
          CASE
            WHEN __fired_4
            AND NOT COALESCE(CAST(`tier` AS STRING) IN ('silver', 'member', 'mid_high', 'ordinary'), FALSE)
            THEN 'trial'
          END
        ),
        x -> NOT x IS NULL
      )
    ) AS __modes_6,
    CASE
      WHEN CAST(`tier` AS STRING) IN ('diamond', 'gold')
      THEN ARRAY('free')
      WHEN CAST(`tier` AS STRING) IN ('silver')
      THEN ARRAY('paid', 'prestore', 'trial')
      WHEN CAST(`tier` AS STRING) IN ('member', 'mid_high', 'ordinary')
      THEN ARRAY('paid', 'trial')
      ELSE CAST(ARRAY() AS ARRAY<STRING>)
    END AS __modes_7,
    CASE
      WHEN CAST(`tier` AS STRING) IN ('diamond', 'gold')
      THEN ARRAY('free')
      WHEN CAST(`tier` AS STRING) IN ('silver')
      THEN ARRAY('paid', 'prestore', 'trial')
      WHEN CAST(`tier` AS STRING) IN ('member', 'mid_high', 'ordinary')
      THEN ARRAY('paid', 'trial')
      ELSE CAST(ARRAY() AS ARRAY<STRING>)
    END AS __modes_8,
    CASE
      WHEN CAST(`tier` AS STRING) IN ('diamond', 'gold')
      THEN ARRAY('free')
      WHEN CAST(`tier` AS STRING) IN ('silver')
      THEN ARRAY('paid', 'prestore', 'trial')
      WHEN CAST(`tier` AS STRING) IN ('member', 'mid_high', 'ordinary')
      THEN ARRAY('paid', 'trial')
      ELSE CAST(ARRAY() AS ARRAY<STRING>)
    END AS __modes_9,
    CASE
      WHEN CAST(`tier` AS STRING) IN ('diamond', 'gold')
      THEN ARRAY('free')
      WHEN CAST(`tier` AS STRING) IN ('silver')
      THEN ARRAY('paid', 'prestore', 'trial')
      WHEN CAST(`tier` AS STRING) IN ('member', 'mid_high', 'ordinary')
      THEN ARRAY('paid', 'trial')
      ELSE CAST(ARRAY() AS ARRAY<STRING>)
    END AS __modes_10,
    CASE
      WHEN CAST(`tier` AS STRING) IN ('diamond', 'gold')
      THEN ARRAY('free')
      WHEN CAST(`tier` AS STRING) IN ('silver')
      THEN ARRAY('paid', 'prestore', 'trial')
      WHEN CAST(`tier` AS STRING) IN ('member', 'mid_high', 'ordinary')
      THEN ARRAY('paid', 'trial')
      ELSE CAST(ARRAY() AS ARRAY<STRING>)
    END AS __modes_11,
    CASE
      WHEN CAST(`tier` AS STRING) IN ('diamond', 'gold')
      THEN ARRAY('free')
      WHEN CAST(`tier` AS STRING) IN ('silver')
      THEN ARRAY('paid', 'prestore', 'trial')
      WHEN CAST(`tier` AS STRING) IN ('member', 'mid_high', 'ordinary')
      THEN ARRAY('paid', 'trial')
      ELSE CAST(ARRAY() AS ARRAY<STRING>)
    END AS __modes_12,
    CASE
      WHEN CAST(`tier` AS STRING) IN ('diamond', 'gold')
      THEN ARRAY('free')
      WHEN CAST(`tier` AS STRING) IN ('silver')
      THEN ARRAY('paid', 'prestore', 'trial')
      WHEN CAST(`tier` AS STRING) IN ('member', 'mid_high', 'ordinary')
      THEN ARRAY('paid', 'trial')
      ELSE CAST(ARRAY() AS ARRAY<STRING>)
    END AS __modes_13,
    CASE
      WHEN CAST(`tier` AS STRING) IN ('diamond', 'gold', 'silver', 'member', 'mid_high', 'ordinary')
      THEN ARRAY('free')
      ELSE CAST(ARRAY() AS ARRAY<STRING>)
    END AS __modes_14,
    CASE
      WHEN CAST(`tier` AS STRING) IN ('diamond', 'gold', 'silver', 'member', 'mid_high', 'ordinary')
      THEN ARRAY('free')
      ELSE CAST(ARRAY() AS ARRAY<STRING>)
    END AS __modes_15,
    CASE
      WHEN CAST(`tier` AS STRING) IN ('diamond', 'gold', 'silver', 'member', 'mid_high', 'ordinary')
      THEN ARRAY('free')
      ELSE CAST(ARRAY() AS ARRAY<STRING>)
    END AS __modes_16
  FROM stratum_2
), row_error AS (
  SELECT
    *,
    COALESCE(__error, __err0_3) AS __row_error
  FROM access_modes
)
SELECT
  CAST(`id` AS STRING) AS `id`,
  CASE WHEN __row_error IS NULL THEN `tier` END AS `tier`,
  CASE WHEN __row_error IS NULL THEN `trend` END AS `trend`,
  CASE
    WHEN __row_error IS NULL
    THEN FILTER(
      ARRAY(
        CASE WHEN __s2_tag_0 THEN 'birthday-care' END,
        CASE WHEN __s2_tag_1 THEN 'retention-target' END
      ),
      x -> NOT x IS NULL
    )
  END AS `tags`,
  CASE WHEN __row_error IS NULL THEN __s2_offers END AS `offers`,
  CASE
    WHEN __row_error IS NULL
    THEN MAP_FROM_ARRAYS(
      FILTER(
        ARRAY(
          CASE WHEN SIZE(__modes_0) > 0 THEN 'magazine' END,
          CASE WHEN SIZE(__modes_1) > 0 THEN 'airport-lounge' END,
          CASE WHEN SIZE(__modes_2) > 0 THEN 'rail-lounge' END,
          CASE WHEN SIZE(__modes_3) > 0 THEN 'birthday-care' END,
          CASE WHEN SIZE(__modes_4) > 0 THEN 'account-manager' END,
          CASE WHEN SIZE(__modes_5) > 0 THEN 'golf-club' END,
          CASE WHEN SIZE(__modes_6) > 0 THEN 'fitness-club' END,
          CASE WHEN SIZE(__modes_7) > 0 THEN 'car-club' END,
          CASE WHEN SIZE(__modes_8) > 0 THEN 'handset-club' END,
          CASE WHEN SIZE(__modes_9) > 0 THEN 'lecture-hall' END,
          CASE WHEN SIZE(__modes_10) > 0 THEN 'handset-service' END,
          CASE WHEN SIZE(__modes_11) > 0 THEN 'sim-service' END,
          CASE WHEN SIZE(__modes_12) > 0 THEN 'health-service' END,
          CASE WHEN SIZE(__modes_13) > 0 THEN 'roaming-rental' END,
          CASE WHEN SIZE(__modes_14) > 0 THEN 'merchant-alliance' END,
          CASE WHEN SIZE(__modes_15) > 0 THEN 'co-brand-card' END,
          CASE WHEN SIZE(__modes_16) > 0 THEN 'local-specialty' END
        ),
        x -> NOT x IS NULL
      ),
      FILTER(
        ARRAY(
          __modes_0,
          __modes_1,
          __modes_2,
          __modes_3,
          __modes_4,
          __modes_5,
          __modes_6,
          __modes_7,
          __modes_8,
          __modes_9,
          __modes_10,
          __modes_11,
          __modes_12,
          __modes_13,
          __modes_14,
          __modes_15,
          __modes_16
        ),
        y -> SIZE(y) > 0
      )
    )
  END AS `access`,
  CASE WHEN __row_error IS NULL THEN CAST(0 AS BIGINT) END AS `points`,
  CASE WHEN __row_error IS NULL THEN CONCAT(__s1_fired, __s2_fired) END AS `fired`,
  __row_error AS `error`
FROM row_error
